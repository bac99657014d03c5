"""``import KIND FILE…``: read, map, validate and write in batches; summarise.

Transactions: by default each batch (``batch_size`` rows, 5,000) is one transaction, so
a killed import leaves whole batches behind and a rerun completes it (external ids make
reruns idempotent). ``--on-error abort`` runs every file in one transaction that is
rolled back if any row is rejected; ``--dry-run`` runs every batch and rolls it back.
Bad rows go to a rejects file beside each input, unchanged, with their reason (not in a
dry run); it is written whole or not at all, and a rejects path taken by a folder (or in
a read-only folder) stops the import before anything is written (ConfigError, exit 2;
see :mod:`.rejectfile`). A stale rejects file from an earlier run is removed when a file
has none.
"""

from __future__ import annotations

import gc
import zoneinfo
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, select

from casedesk.db import read_session
from casedesk.errors import ConfigError, PermissionDenied, ValidationError
from casedesk.i18n import N_, _, ngettext
from casedesk.localformat import number
from casedesk.models import Agent
from casedesk.services.context import Actor, Desk, require_supervisor
from casedesk.services.imports.kinds.base import Ctx, Kind, prepare_cache
from casedesk.services.imports.kinds.registry import KINDS
from casedesk.services.imports.mapping import Mapping, Overrides, Parser
from casedesk.services.imports.markdown import MarkdownFolder
from casedesk.services.imports.parallel import import_in_two_processes, use_two_processes
from casedesk.services.imports.readers import Source, open_source
from casedesk.services.imports.rejectfile import (
    check_distinct,
    check_rejects_path,
    write_failed,
)
from casedesk.services.imports.stream import header_mapping, options_parsers, read_batches
from casedesk.services.imports.summary import ImportOptions, ImportSummary, Progress, printable
from casedesk.services.imports.writer import BatchWriter, Transactions

KIND_NAMES = (*KINDS, "emails")


def check_options(kind: str, options: ImportOptions) -> zoneinfo.ZoneInfo:
    """Refuse unusable flags up front (ConfigError, exit 2); returns the time zone."""
    if kind not in KIND_NAMES:
        raise ConfigError(_("unknown kind {kind}: choose one of {kinds}").format(
            kind=repr(kind), kinds=", ".join(KIND_NAMES)))
    if options.on_error not in ("skip", "abort"):
        raise ConfigError(_("--on-error {value}: use skip or abort").format(
            value=repr(options.on_error)))
    if options.batch_size < 1:
        raise ConfigError(_("--batch-size must be at least 1"))
    if kind == "emails" and (options.values or options.defaults):
        raise ConfigError(_("value maps and defaults are for table-shaped files, not emails"))
    try:
        return zoneinfo.ZoneInfo(options.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            _("unknown time zone {zone}: use a name like Europe/Madrid or UTC").format(
                zone=repr(options.timezone))
        ) from None


def check_actor(desk: Desk, actor: Actor | None, kind: str) -> None:
    """Supervisors import; on an empty database anybody may import the first agents."""
    if actor is not None:
        require_supervisor(actor, N_("import records"))
        return
    if kind == "agents":
        with read_session(desk.engine) as session:
            if not session.execute(select(func.count()).select_from(Agent)).scalar_one():
                return
    raise PermissionDenied(_("say who is importing: pass --as LOGIN (a supervisor)"))


def run_import(
    desk: Desk,
    actor: Actor | None,
    kind: str,
    paths: Sequence[Path],
    options: ImportOptions = ImportOptions(),
    progress: Progress | None = None,
) -> ImportSummary:
    """Import ``paths`` as records of ``kind``; see the module docstring for the rules."""
    zone = check_options(kind, options)
    if not paths:
        raise ConfigError(_("name at least one file to import"))
    check_actor(desk, actor, kind)
    for path in paths:
        if not Path(path).exists():
            raise ConfigError(_("no such file: {path}").format(path=path))
    summary = ImportSummary(kind, dry_run=options.dry_run)
    tx = Transactions(desk.engine, options)
    with _no_cyclic_gc():
        _run(desk, actor, kind, paths, options, zone, tx, summary, progress)
    if tx.mode == "single":
        tx.finish(commit=summary.rejected == 0)
        if summary.rejected:
            counts = {"rejected": number(summary.rejected), "read": number(summary.read),
                      "first": summary.errors[0]}
            if summary.rejects:
                message = ngettext(
                    "{rejected} of {read} row rejected, nothing imported (--on-error abort): "
                    "{first}; every reason is in {files}",
                    "{rejected} of {read} rows rejected, nothing imported (--on-error abort): "
                    "{first}; every reason is in {files}", summary.read,
                ).format(files=", ".join(summary.rejects), **counts)
            else:
                message = ngettext(
                    "{rejected} of {read} row rejected, nothing imported (--on-error abort): "
                    "{first}",
                    "{rejected} of {read} rows rejected, nothing imported (--on-error abort): "
                    "{first}", summary.read,
                ).format(**counts)
            raise ValidationError(message)
    return summary


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: a bulk load allocates millions of acyclic objects,
    and with the collector running an import needs ~30 % more CPU."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _run(
    desk: Desk,
    actor: Actor | None,
    kind: str,
    paths: Sequence[Path],
    options: ImportOptions,
    zone: zoneinfo.ZoneInfo,
    tx: Transactions,
    summary: ImportSummary,
    progress: Progress | None,
) -> None:
    if kind == "emails":
        from casedesk.services.imports.mail import import_mail

        import_mail(desk, actor, [Path(p) for p in paths], options, zone, tx, summary, progress)
    else:
        spec = KINDS[kind]()
        overrides, parsers = options_parsers(spec, options, zone)
        ctx = Ctx(actor, desk.now(), "", default_queue=options.queue)
        with read_session(desk.engine) as session:
            prepare_cache(session, ctx)
        if options.queue and options.queue not in ctx.cache["queues"]:
            raise ConfigError(_("--queue {queue}: no such queue (see `casedesk queue list`)")
                              .format(queue=repr(options.queue)))
        sources: list[Source] = []
        try:
            # every file is opened and its header mapped before anything is written, so an
            # unusable second file stops the import before the first one went in
            planned = []
            for path in paths:
                source = MarkdownFolder(Path(path)) if kind == "articles" and \
                    Path(path).is_dir() else open_source(
                        Path(path), encoding=options.encoding, delimiter=options.delimiter,
                        sheet=options.sheet)
                sources.append(source)
                if not options.dry_run:
                    check_rejects_path(source.rejects_file)
                planned.append((source, _plan(source, spec, overrides, parsers, summary)))
            if not options.dry_run:
                check_distinct([(str(s.path), s.rejects_file) for s, _ in planned])
            for source, fixed in planned:
                ctx.source = source.name
                _import_file(desk, source, fixed, spec, overrides, parsers, tx, ctx, summary,
                             options, progress)
        except BaseException:
            tx.finish(commit=False)
            raise
        finally:
            for source in sources:
                source.close()


def _plan(source: Source, spec: Kind, overrides: Overrides, parsers: dict[str, Parser],
          summary: ImportSummary) -> Mapping | None:
    """The mapping of a file's header (None for JSON Lines, mapped record by record)."""
    fixed = header_mapping(source, spec, overrides, parsers)
    if fixed is not None and fixed.ignored:
        summary.warnings.append(printable(
            _("{source}: {kind} keep no extras; ignored columns: {columns}").format(
                source=source.name, kind=spec.name, columns=", ".join(fixed.ignored))))
    return fixed


def _import_file(
    desk: Desk,
    source: Source,
    fixed: Mapping | None,
    spec: Kind,
    overrides: Overrides,
    parsers: dict[str, Parser],
    tx: Transactions,
    ctx: Ctx,
    summary: ImportSummary,
    options: ImportOptions,
    progress: Progress | None,
) -> None:
    writer = BatchWriter(spec, tx, ctx, summary, source.name)
    done, complete = 0, False
    try:
        if not spec.plans_writes(fixed.provided if fixed is not None else None) and \
                use_two_processes(desk, spec, source, tx, options):
            # planned in a second process; whatever it could not finish continues here
            done, complete = import_in_two_processes(desk, spec, source, options, ctx,
                                                     summary, writer.rejects, progress, tx)
        if not complete:
            for batch, groups in read_batches(source, fixed, spec, overrides, parsers,
                                              options.batch_size, skip=done,
                                              unmapped=summary.unmapped):
                summary.read += len(batch)
                writer.submit(batch, groups)
                if progress is not None:
                    progress(source.name, summary.read, source.position(), source.total)
    finally:
        writer.close()
    if progress is not None:
        position = source.total if complete else source.position()
        progress(source.name, summary.read, position, source.total)
    if options.dry_run:
        return
    try:
        if writer.rejects:
            summary.rejects.append(str(source.write_rejects(writer.rejects)))
        elif source.rejects_file.exists():
            source.rejects_file.unlink()
    except OSError as exc:
        raise write_failed(source.rejects_file, exc, summary) from None

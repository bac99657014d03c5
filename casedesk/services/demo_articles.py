"""The knowledge articles ``casedesk demo`` ships: one per common problem of the demo's
products, each in Spanish and in English (the floor speaks both; the customers' data stays
Spanish). Published by :func:`casedesk.services.demo.seed`; plain data, no imports."""

from __future__ import annotations

from typing import NamedTuple


class DemoArticle(NamedTuple):
    """One article of the demo's knowledge base, in one language."""

    language: str
    title: str
    keywords: str
    body: str


#: Pairs of the same article in Spanish and English, in the order they are numbered.
ARTICLES: tuple[DemoArticle, ...] = (
    DemoArticle(
        "es",
        "Sin conexión a internet (Fibra 600 Mb)",
        "fibra, internet, sin conexión, ONT, router, corte",
        "## Síntomas\n\nEl cliente no navega por ningún dispositivo, por cable ni por wifi.\n\n"
        "## Qué comprobar\n\n"
        "1. Pide al cliente que mire la luz **LOS** de la ONT: roja o parpadeando indica "
        "un corte de fibra; abre una incidencia técnica con gravedad *major*.\n"
        "2. Si la ONT está bien, reinicia el router: desenchufar 30 segundos y volver a "
        "enchufar; espera dos minutos.\n"
        "3. Comprueba en la herramienta de red si hay una avería masiva en su código "
        "postal; si la hay, informa del plazo estimado y vincula el caso a la incidencia "
        "principal.\n\n"
        "## Solución\n\nSi tras el reinicio sigue sin conexión y no hay avería masiva, "
        "programa la visita de un técnico y registra la llamada en el caso.",
    ),
    DemoArticle(
        "en",
        "No internet connection (Fibra 600 Mb)",
        "fibre, fiber, internet, no connection, outage, ONT, router",
        "## Symptoms\n\nThe customer cannot browse on any device, by cable or wifi.\n\n"
        "## What to check\n\n"
        "1. Ask the customer to look at the **LOS** light on the ONT: red or blinking "
        "means a fibre cut; open a technical case with severity *major*.\n"
        "2. If the ONT is fine, restart the router: unplug it for 30 seconds, plug it back "
        "in and wait two minutes.\n"
        "3. Check the network tool for an outage in the customer's postcode; if there is "
        "one, give the expected time and link the case to the major case.\n\n"
        "## Solution\n\nIf there is still no connection after the restart and no outage, "
        "book a technician's visit and log the call on the case.",
    ),
    DemoArticle(
        "es",
        "El router se reinicia solo (Router wifi 6)",
        "router, reinicio, se apaga, firmware, alimentación",
        "## Síntomas\n\nEl router se apaga y vuelve a encender varias veces al día; la "
        "conexión se corta uno o dos minutos cada vez.\n\n"
        "## Qué comprobar\n\n"
        "1. Que el router use su propio alimentador (12 V) y no un ladrón o regleta "
        "sobrecargada.\n"
        "2. Que tenga ventilación: no debe estar dentro de un mueble cerrado.\n"
        "3. La versión de firmware en la herramienta de red; si es anterior a la 2.4, "
        "lanza la actualización remota.\n\n"
        "## Solución\n\nSi se sigue reiniciando tras actualizar el firmware, gestiona el "
        "cambio de router (envío por mensajería, sin coste si está en garantía).",
    ),
    DemoArticle(
        "en",
        "The router restarts by itself (Router wifi 6)",
        "router, restart, reboot, turns off, firmware, power supply",
        "## Symptoms\n\nThe router switches off and on again several times a day; the "
        "connection drops for a minute or two each time.\n\n"
        "## What to check\n\n"
        "1. That the router uses its own power supply (12 V), not an overloaded power "
        "strip.\n"
        "2. That it is ventilated: it must not sit inside a closed cabinet.\n"
        "3. The firmware version in the network tool; below 2.4, start the remote "
        "update.\n\n"
        "## Solution\n\nIf it keeps restarting after the firmware update, arrange a router "
        "replacement (sent by courier, free of charge under warranty).",
    ),
    DemoArticle(
        "es",
        "Wifi lento por la noche",
        "wifi, lento, velocidad, noche, canal, interferencias, 5 GHz",
        "## Síntomas\n\nLa conexión va bien por cable pero el wifi va lento, sobre todo "
        "por la tarde y por la noche.\n\n"
        "## Qué comprobar\n\n"
        "1. Pide un test de velocidad por cable: si da la velocidad contratada, la línea "
        "está bien y el problema es el wifi.\n"
        "2. Recomienda conectar los dispositivos a la red de 5 GHz (nombre terminado en "
        "*_5G*).\n"
        "3. Cambia el canal wifi desde la herramienta de red (canal automático) para "
        "evitar las interferencias de los vecinos.\n\n"
        "## Solución\n\nSi la vivienda es grande o tiene varias plantas, ofrece el "
        "amplificador wifi en malla (ver tarifas comerciales).",
    ),
    DemoArticle(
        "en",
        "Slow wifi in the evening",
        "wifi, slow, speed, evening, night, channel, interference, 5 GHz",
        "## Symptoms\n\nThe connection is fine by cable but the wifi is slow, above all in "
        "the afternoon and the evening.\n\n"
        "## What to check\n\n"
        "1. Ask for a speed test by cable: if it reaches the contracted speed, the line is "
        "fine and the problem is the wifi.\n"
        "2. Suggest connecting the devices to the 5 GHz network (its name ends in "
        "*_5G*).\n"
        "3. Change the wifi channel from the network tool (automatic channel) to avoid the "
        "neighbours' interference.\n\n"
        "## Solution\n\nIn a large home or one with several floors, offer the mesh wifi "
        "extender (see the commercial rates).",
    ),
    DemoArticle(
        "es",
        "No funciona la TV (TV Total)",
        "tv, televisión, descodificador, sin señal, canales, TV Total",
        "## Síntomas\n\nLa pantalla muestra «Sin señal» o el descodificador se queda en el "
        "logotipo al encender.\n\n"
        "## Qué comprobar\n\n"
        "1. Que internet funcione: la TV Total llega por la fibra; si no hay internet, "
        "sigue primero el artículo «Sin conexión a internet».\n"
        "2. Que el descodificador esté conectado al router por cable y la tele en la "
        "entrada HDMI correcta.\n"
        "3. Reinicia el descodificador desde la herramienta de red (tarda unos cinco "
        "minutos en cargar los canales).\n\n"
        "## Solución\n\nSi faltan canales concretos, revisa que estén incluidos en su "
        "paquete; si no carga ninguno tras el reinicio, gestiona el cambio de "
        "descodificador.",
    ),
    DemoArticle(
        "en",
        "TV not working (TV Total)",
        "tv, television, set-top box, decoder, no signal, channels, TV Total",
        "## Symptoms\n\nThe screen shows \"No signal\" or the set-top box stays on the logo "
        "when switched on.\n\n"
        "## What to check\n\n"
        "1. That internet works: TV Total comes over the fibre; without internet, follow "
        "the article \"No internet connection\" first.\n"
        "2. That the set-top box is wired to the router and the TV is on the right HDMI "
        "input.\n"
        "3. Restart the set-top box from the network tool (it takes about five minutes "
        "to load the channels).\n\n"
        "## Solution\n\nIf some channels are missing, check that they are in the customer's "
        "package; if none load after the restart, arrange a set-top box replacement.",
    ),
    DemoArticle(
        "es",
        "Cargo duplicado en la factura",
        "factura, cargo duplicado, cobro doble, recibo, devolución, abono",
        "## Síntomas\n\nEl cliente ve dos cargos del mismo importe en su cuenta bancaria o "
        "dos veces el mismo concepto en la factura.\n\n"
        "## Qué comprobar\n\n"
        "1. Abre la factura en el sistema de facturación y compara los conceptos y "
        "periodos: un prorrateo por cambio de tarifa no es un duplicado.\n"
        "2. Comprueba si un recibo se devolvió y se volvió a emitir (aparece como "
        "*reemisión*).\n\n"
        "## Solución\n\nSi el cargo está duplicado, solicita el abono del importe (llega "
        "en 5–7 días laborables) y díselo al cliente. Tipifica el caso como *claim* en el "
        "área de facturación.",
    ),
    DemoArticle(
        "en",
        "Duplicate charge on the invoice",
        "invoice, bill, duplicate charge, charged twice, refund, credit note",
        "## Symptoms\n\nThe customer sees two charges of the same amount in their bank "
        "account, or the same item twice on the invoice.\n\n"
        "## What to check\n\n"
        "1. Open the invoice in the billing system and compare the items and periods: a "
        "pro rata charge after a tariff change is not a duplicate.\n"
        "2. Check whether a direct debit was returned and issued again (shown as "
        "*reemisión*).\n\n"
        "## Solution\n\nIf the charge is a duplicate, request a refund of the amount (it "
        "arrives within 5–7 working days) and tell the customer. Type the case as a "
        "*claim* in the billing area.",
    ),
    DemoArticle(
        "es",
        "Cambio de cuenta bancaria para la domiciliación",
        "cuenta bancaria, IBAN, domiciliación, recibos, pago",
        "## Cuándo\n\nEl cliente quiere pagar sus recibos desde otra cuenta.\n\n"
        "## Pasos\n\n"
        "1. Verifica la identidad del titular (DNI y dirección de facturación); solo el "
        "titular del contrato puede cambiar la cuenta.\n"
        "2. Toma el IBAN completo y léelo de vuelta al cliente, de cuatro en cuatro "
        "caracteres.\n"
        "3. Regístralo en el sistema de facturación: se aplica a partir del siguiente "
        "recibo si se hace antes del día 20.\n\n"
        "## Aviso\n\nNunca anotes el IBAN en las notas del caso: va solo en el sistema de "
        "facturación.",
    ),
    DemoArticle(
        "en",
        "Changing the bank account for direct debits",
        "bank account, IBAN, direct debit, payments, bills",
        "## When\n\nThe customer wants to pay their bills from another account.\n\n"
        "## Steps\n\n"
        "1. Verify the holder's identity (ID number and billing address); only the contract "
        "holder may change the account.\n"
        "2. Take the full IBAN and read it back to the customer, four characters at a "
        "time.\n"
        "3. Enter it in the billing system: it applies from the next bill when done before "
        "the 20th of the month.\n\n"
        "## Warning\n\nNever write the IBAN in the case notes: it goes in the billing "
        "system only.",
    ),
    DemoArticle(
        "es",
        "Portabilidad de una línea móvil",
        "portabilidad, móvil, cambio de operador, SIM, número, Móvil ilimitado",
        "## Cuándo\n\nEl cliente quiere traer su número de otro operador a Móvil "
        "ilimitado.\n\n"
        "## Pasos\n\n"
        "1. Comprueba que el titular de la línea en el otro operador es el mismo que el de "
        "la cuenta.\n"
        "2. Solicita la portabilidad con el número y el ICCID de la SIM actual.\n"
        "3. Envía la SIM nueva: la portabilidad se hace en un día laborable, de 2:00 a "
        "6:00, y el cliente se queda unos minutos sin servicio.\n\n"
        "## Solución\n\nSi la portabilidad se rechaza, el motivo llega en el caso; lo más "
        "habitual es un titular distinto o una deuda pendiente con el otro operador.",
    ),
    DemoArticle(
        "en",
        "Porting a mobile line",
        "porting, number portability, mobile, change operator, SIM, Móvil ilimitado",
        "## When\n\nThe customer wants to bring their number from another operator to Móvil "
        "ilimitado.\n\n"
        "## Steps\n\n"
        "1. Check that the line's holder at the other operator is the account's holder.\n"
        "2. Request the porting with the number and the ICCID of the current SIM.\n"
        "3. Send the new SIM: the porting happens within one working day, between 2:00 and "
        "6:00, and the customer is without service for a few minutes.\n\n"
        "## Solution\n\nIf the porting is refused, the reason arrives on the case; most "
        "often the holder differs or there is a debt with the other operator.",
    ),
    DemoArticle(
        "es",
        "No puedo iniciar sesión en la app",
        "app, aplicación, iniciar sesión, contraseña, acceso, cuenta, área de cliente",
        "## Síntomas\n\nLa app o el área de cliente dicen «Usuario o contraseña "
        "incorrectos», o la cuenta aparece bloqueada.\n\n"
        "## Qué comprobar\n\n"
        "1. Que el cliente use como usuario el e-mail de su contacto (no el número de "
        "móvil).\n"
        "2. Tras cinco intentos fallidos la cuenta se bloquea 30 minutos: díselo antes de "
        "que lo vuelva a intentar.\n\n"
        "## Solución\n\nEnvía el enlace de restablecimiento de contraseña a su e-mail desde "
        "la herramienta de clientes; caduca en 24 horas. Si no le llega, comprueba que el "
        "e-mail del contacto es correcto.",
    ),
    DemoArticle(
        "en",
        "Cannot sign in to the app",
        "app, sign in, log in, login, password, access, account, customer area",
        "## Symptoms\n\nThe app or the customer area says \"Wrong user or password\", or "
        "the account shows as locked.\n\n"
        "## What to check\n\n"
        "1. That the customer signs in with their contact e-mail (not the mobile number).\n"
        "2. After five failed attempts the account locks for 30 minutes: say so before they "
        "try again.\n\n"
        "## Solution\n\nSend the password reset link to their e-mail from the customer tool; "
        "it expires in 24 hours. If it does not arrive, check the contact's e-mail.",
    ),
    DemoArticle(
        "es",
        "Solicitud de baja del servicio",
        "baja, cancelar, darse de baja, retención, permanencia, oferta",
        "## Cuándo\n\nEl cliente llama para dar de baja la fibra, el móvil o la TV.\n\n"
        "## Pasos\n\n"
        "1. Pregunta el motivo y regístralo en el caso (precio, calidad, mudanza, otro "
        "operador).\n"
        "2. Consulta si tiene permanencia: si la tiene, informa del importe pendiente.\n"
        "3. Si el motivo es el precio o la calidad, transfiere el caso a la cola "
        "*commercial* para la oferta de retención antes de tramitar la baja.\n\n"
        "## Solución\n\nSi mantiene la baja, tramítala con fecha de fin de mes y recuérdale "
        "devolver el router y el descodificador en 30 días.",
    ),
    DemoArticle(
        "en",
        "Request to cancel the service",
        "cancel, cancellation, terminate, retention, minimum term, offer",
        "## When\n\nThe customer calls to cancel the fibre, the mobile line or the TV.\n\n"
        "## Steps\n\n"
        "1. Ask for the reason and record it on the case (price, quality, moving house, "
        "another operator).\n"
        "2. Check for a minimum term: if there is one, tell them the amount still due.\n"
        "3. If the reason is price or quality, transfer the case to the *commercial* queue "
        "for the retention offer before processing the cancellation.\n\n"
        "## Solution\n\nIf they still want to cancel, process it for the end of the month "
        "and remind them to return the router and the set-top box within 30 days.",
    ),
)

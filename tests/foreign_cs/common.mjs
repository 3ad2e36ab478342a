// What the two ocpp-rpc Central Systems (server.mjs, drive_core.mjs) share: JSON-line output,
// the frame log, the answers to the charge point's own calls, and serving until stdin closes.

export function out(obj) {
    process.stdout.write(JSON.stringify(obj) + '\n');
}

// Log every frame of a client as {"dir", "cp_id", "type", "id", "action", "payload"};
// onCall(entry) gets each CALL the charge point sends ({action, payload, id}).
export function logFrames(client, cpId, onCall) {
    const callActions = { 'cp->cs': new Map(), 'cs->cp': new Map() };  // uniqueId -> action
    client.on('message', ({ message, outbound }) => {
        const dir = outbound ? 'cs->cp' : 'cp->cs';
        const other = outbound ? 'cp->cs' : 'cs->cp';
        const msg = typeof message === 'string' ? message : message.toString('utf8');
        let frame;
        try {
            frame = JSON.parse(msg);
        } catch (e) {
            out({ dir, cp_id: cpId, type: null, raw: msg });  // ocpp-rpc reports a badMessage
            return;
        }
        if (!Array.isArray(frame) || ![2, 3, 4].includes(frame[0])) {
            out({ dir, cp_id: cpId, type: null, raw: msg });
            return;
        }
        const [type, id] = frame;
        if (type === 2) {
            callActions[dir].set(id, frame[2]);
            out({ dir, cp_id: cpId, type, id, action: frame[2], payload: frame[3] ?? null });
            if (!outbound && onCall) {
                onCall({ action: frame[2], payload: frame[3] ?? null, id });
            }
        } else if (type === 3) {
            out({ dir, cp_id: cpId, type, id, action: callActions[other].get(id) ?? null,
                  payload: frame[2] ?? null });
        } else {
            out({ dir, cp_id: cpId, type, id, action: callActions[other].get(id) ?? null,
                  payload: { errorCode: frame[2], errorDescription: frame[3], errorDetails: frame[4] } });
        }
    });
}

// Answer the charge point's calls through handle(action, fn(params) -> answer):
// Boot Accepted (interval 300), Authorize Accepted, StartTransaction with increasing ids.
let lastTransactionId = 0;
export function answerChargePoint(handle) {
    const now = () => new Date().toISOString();
    handle('BootNotification', () => ({ status: 'Accepted', currentTime: now(), interval: 300 }));
    handle('Heartbeat', () => ({ currentTime: now() }));
    handle('Authorize', () => ({ idTagInfo: { status: 'Accepted' } }));
    handle('StartTransaction', () => {
        lastTransactionId += 1;
        return { transactionId: lastTransactionId, idTagInfo: { status: 'Accepted' } };
    });
    handle('StopTransaction', (params) => (params && params.idTag ? { idTagInfo: { status: 'Accepted' } } : {}));
    handle('StatusNotification', () => ({}));
    handle('MeterValues', () => ({}));
    handle('DataTransfer', () => ({ status: 'Accepted' }));
    handle('DiagnosticsStatusNotification', () => ({}));
    handle('FirmwareStatusNotification', () => ({}));
}

// Listen, print {"port": N} first, and exit when stdin closes (never outlive the Python test).
export async function serve(server, port, host) {
    const httpServer = await server.listen(port, host);
    out({ port: httpServer.address().port });
    async function shutdown() {
        try {
            await server.close({ code: 1001, reason: 'Central System stopping', force: true });
        } catch (e) {
            // already closing
        }
        process.exit(0);
    }
    process.stdin.on('end', shutdown);
    process.stdin.on('error', shutdown);
    process.stdin.resume();
    process.on('SIGTERM', shutdown);
    process.on('SIGINT', shutdown);
}

// A "foreign" OCPP 1.6 Central System built on the npm package ocpp-rpc (strictMode), used to
// check ocpp_cp against an implementation we did not write. Dev/test only.
//
//   node server.mjs [port]        (port 0 = ephemeral)
//
// stdout, one JSON object per line:
//   {"port": N}                                                   first line, once listening
//   {"dir": "cp->cs"|"cs->cp", "cp_id", "type", "id", "action", "payload"}   every frame
//   {"dir": "error", "cp_id", "kind", "action", "message", ...}   validation / protocol errors
//   {"dir": "event", "cp_id", "event": "connected"|"disconnected", ...}
// The process exits when stdin closes (so it never outlives the Python test that started it).

import rpc from 'ocpp-rpc';

const { RPCServer } = rpc;

const port = Number(process.argv[2] ?? 0);
const host = '127.0.0.1';

function out(obj) {
    process.stdout.write(JSON.stringify(obj) + '\n');
}

function now() {
    return new Date().toISOString();
}

let lastTransactionId = 0;

const server = new RPCServer({
    protocols: ['ocpp1.6'],
    strictMode: true,
    respondWithDetailedErrors: true,
});

server.auth((accept, reject, handshake) => {
    accept();
});

server.on('client', (client) => {
    const cpId = client.identity;
    // uniqueId -> action, per direction of the CALL
    const callActions = { 'cp->cs': new Map(), 'cs->cp': new Map() };

    out({ dir: 'event', cp_id: cpId, event: 'connected', protocol: client.protocol });

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
        } else if (type === 3) {
            out({ dir, cp_id: cpId, type, id, action: callActions[other].get(id) ?? null,
                  payload: frame[2] ?? null });
        } else {
            out({ dir, cp_id: cpId, type, id, action: callActions[other].get(id) ?? null,
                  payload: { errorCode: frame[2], errorDescription: frame[3],
                             errorDetails: frame[4] } });
        }
    });

    client.on('strictValidationFailure', ({ messageId, method, params, result, error, outbound, isCall }) => {
        out({
            dir: 'error', cp_id: cpId, kind: 'strictValidationFailure', action: method,
            id: messageId, outbound, isCall, message: error?.message ?? String(error),
            details: error?.details ?? null, params: params ?? null, result: result ?? null,
        });
    });

    client.on('badMessage', ({ buffer, error, response }) => {
        out({
            dir: 'error', cp_id: cpId, kind: 'badMessage', message: error?.message ?? String(error),
            raw: buffer ? buffer.toString('utf8') : null, response: response ?? null,
        });
    });

    client.on('close', ({ code, reason }) => {
        out({ dir: 'event', cp_id: cpId, event: 'disconnected', code,
              reason: reason ? String(reason) : '' });
    });

    client.handle('BootNotification', () => ({
        status: 'Accepted',
        currentTime: now(),
        interval: 300,
    }));

    client.handle('Heartbeat', () => ({ currentTime: now() }));

    client.handle('Authorize', () => ({ idTagInfo: { status: 'Accepted' } }));

    client.handle('StartTransaction', () => {
        lastTransactionId += 1;
        return { transactionId: lastTransactionId, idTagInfo: { status: 'Accepted' } };
    });

    client.handle('StopTransaction', ({ params }) => (
        params && params.idTag ? { idTagInfo: { status: 'Accepted' } } : {}
    ));

    client.handle('StatusNotification', () => ({}));
    client.handle('MeterValues', () => ({}));
    client.handle('DataTransfer', () => ({ status: 'Accepted' }));
    client.handle('DiagnosticsStatusNotification', () => ({}));
    client.handle('FirmwareStatusNotification', () => ({}));
});

const httpServer = await server.listen(port, host);
out({ port: httpServer.address().port });

async function shutdown() {
    try {
        await server.close({ code: 1001, reason: 'Central System stopping', force: true });
    } catch (e) {
        // ignore
    }
    process.exit(0);
}

process.stdin.on('end', shutdown);
process.stdin.on('error', shutdown);
process.stdin.resume();
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

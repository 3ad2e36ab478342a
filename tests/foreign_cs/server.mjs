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

import { answerChargePoint, logFrames, out, serve } from './common.mjs';

const { RPCServer } = rpc;

const port = Number(process.argv[2] ?? 0);
const host = '127.0.0.1';

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
    out({ dir: 'event', cp_id: cpId, event: 'connected', protocol: client.protocol });
    logFrames(client, cpId);

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

    answerChargePoint((action, fn) => client.handle(action, ({ params }) => fn(params)));
});

await serve(server, port, host);

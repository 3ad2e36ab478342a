// A Central System we did not write (npm ocpp-rpc, strictMode: every message in both directions is
// checked against ocpp-rpc's own copy of the OCPP 1.6 schemas) that drives EVERY Central-System-
// initiated Core operation against one charge point, in sequence, and records what came back.
// Dev/test only; tests/test_foreign_core.py runs it against code.py (OCPP_DEMO = "remote").
//
//   node drive_core.mjs [port]        (port 0 = ephemeral)
//
// stdout, one JSON object per line:
//   {"port": N}                                                       first, once listening
//   {"dir": "cp->cs"|"cs->cp", "cp_id", "type", "id", "action", "payload"}   every frame
//   {"dir": "error", "cp_id", "kind", ...}       ocpp-rpc found a message invalid (strict mode) or bad
//   {"dir": "note", ...}                         an expected local refusal (FooBar in strict mode)
//   {"dir": "event", "cp_id", "event": "connected"|"disconnected", ...}
//   {"dir": "step", "n", "name", "action", "request", "answer"|"error", "followups", "verdict", "failures"}
//   {"dir": "summary", "ok", "steps": [{"n", "name", "verdict"}], "validation_errors", "closed"}   last
// It answers the charge point's own calls (Boot Accepted with interval 300, Authorize Accepted,
// StartTransaction with increasing ids, ...). The process exits when stdin closes.

import rpc from 'ocpp-rpc';

import { answerChargePoint, logFrames, out, serve } from './common.mjs';

const { RPCServer } = rpc;

const port = Number(process.argv[2] ?? 0);
const host = '127.0.0.1';
const CALL_TIMEOUT_MS = 10000;   // an answer must come within this
const FOLLOW_MS = 10000;         // follow-up messages must come within this
const SETTLE_MS = 300;           // a step that expects no follow-up watches this long
const DRIVE_TIMEOUT_MS = 120000; // the whole drive

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(predicate, ms) {
    const deadline = Date.now() + ms;
    while (!predicate()) {
        if (Date.now() > deadline) {
            return false;
        }
        await sleep(20);
    }
    return true;
}

let validationErrors = 0;
let driving = false;

const server = new RPCServer({
    protocols: ['ocpp1.6'],
    strictMode: true,
    respondWithDetailedErrors: true,
});

server.auth((accept) => accept());

server.on('client', (client) => {
    const cpId = client.identity;
    out({ dir: 'event', cp_id: cpId, event: 'connected', protocol: client.protocol });
    const cpCalls = [];          // the charge point's CALLs: {action, payload, id, answer}
    const byId = new Map();
    const state = { closed: null, expectRefusal: null };

    logFrames(client, cpId, (entry) => {
        cpCalls.push(entry);
        byId.set(entry.id, entry);
    });

    client.on('strictValidationFailure', ({ messageId, method, params, result, error, outbound, isCall }) => {
        const expected = outbound && isCall && method === state.expectRefusal;
        if (!expected) {
            validationErrors += 1;
        }
        out({
            dir: expected ? 'note' : 'error', cp_id: cpId, kind: 'strictValidationFailure',
            action: method, id: messageId, outbound, isCall,
            message: error?.message ?? String(error), code: error?.rpcErrorCode ?? null,
            details: error?.details ?? null, params: params ?? null, result: result ?? null,
        });
    });

    client.on('badMessage', ({ buffer, error, response }) => {
        validationErrors += 1;
        out({ dir: 'error', cp_id: cpId, kind: 'badMessage', message: error?.message ?? String(error),
              raw: buffer ? buffer.toString('utf8') : null, response: response ?? null });
    });

    client.on('close', ({ code, reason }) => {
        state.closed = { code, reason: reason ? String(reason) : '' };
        out({ dir: 'event', cp_id: cpId, event: 'disconnected', code, reason: state.closed.reason });
    });

    // the charge point's calls: answered, and the answer kept with the call (a follow-up's answer)
    function handle(action, fn) {
        client.handle(action, ({ messageId, params }) => {
            const answer = fn(params);
            const entry = byId.get(messageId);
            if (entry) {
                entry.answer = answer;
            }
            return answer;
        });
    }
    answerChargePoint(handle);

    if (driving) {
        out({ dir: 'event', cp_id: cpId, event: 'not driven: a drive is already running' });
        return;
    }
    driving = true;
    const timer = setTimeout(() => {
        out({ dir: 'summary', ok: false, steps: [], validation_errors: validationErrors,
              closed: state.closed, failure: 'the drive took longer than ' + DRIVE_TIMEOUT_MS + ' ms' });
    }, DRIVE_TIMEOUT_MS);
    drive(client, cpId, cpCalls, state).then((summary) => {
        clearTimeout(timer);
        out(summary);
    }, (err) => {
        clearTimeout(timer);
        out({ dir: 'summary', ok: false, steps: [], validation_errors: validationErrors,
              closed: state.closed, failure: 'the drive crashed: ' + (err?.stack ?? String(err)) });
    });
});

// ---- the drive ----

const statuses = (calls, connectorId) => calls
    .filter((c) => c.action === 'StatusNotification' && c.payload?.connectorId === connectorId)
    .map((c) => c.payload.status);
const actions = (calls) => calls.map((c) => c.action);
const other = (calls) => calls.filter((c) => !['MeterValues', 'Heartbeat'].includes(c.action));

// Core keys the OCPP 1.6 specification (section 9.1) requires in GetConfiguration
const CORE_KEYS = [
    'AuthorizeRemoteTxRequests', 'ClockAlignedDataInterval', 'ConnectionTimeOut', 'ConnectorPhaseRotation',
    'GetConfigurationMaxKeys', 'HeartbeatInterval', 'LocalAuthorizeOffline', 'LocalPreAuthorize',
    'MeterValuesAlignedData', 'MeterValuesSampledData', 'MeterValueSampleInterval', 'NumberOfConnectors',
    'ResetRetries', 'StopTransactionOnEVSideDisconnect', 'StopTransactionOnInvalidId', 'StopTxnAlignedData',
    'StopTxnSampledData', 'SupportedFeatureProfiles', 'TransactionMessageAttempts',
    'TransactionMessageRetryInterval', 'UnlockConnectorOnEVSideDisconnect',
];

async function drive(client, cpId, cpCalls, state) {
    const steps = [];
    const ID_TAG = 'REMOTE-TAG-01';

    // the charger is booted and has reported its connectors (0 and 1) before the drive begins
    const booted = await waitFor(() => statuses(cpCalls, 0).length && statuses(cpCalls, 1).length, 30000);
    if (!booted) {
        return { dir: 'summary', ok: false, steps, validation_errors: validationErrors, closed: state.closed,
                 failure: 'no BootNotification and StatusNotifications for connectors 0 and 1 within 30 s' };
    }
    await sleep(SETTLE_MS);
    const boot = cpCalls.find((c) => c.action === 'BootNotification');
    out({ dir: 'event', cp_id: cpId, event: 'booted', boot: boot?.payload ?? null,
          status0: statuses(cpCalls, 0).at(-1), status1: statuses(cpCalls, 1).at(-1) });

    // One step: send the call, wait for the follow-ups `until` wants (or SETTLE_MS), check.
    // check(answer, error, followups, fail) calls fail(text) for every thing that is wrong.
    async function step(name, action, request, { until = null, check }) {
        const mark = cpCalls.length;
        let answer = null;
        let error = null;
        try {
            answer = await client.call(action, request, { callTimeoutMs: CALL_TIMEOUT_MS });
        } catch (e) {
            error = { code: e?.rpcErrorCode ?? null, name: e?.name ?? null, message: e?.message ?? String(e) };
        }
        if (until) {
            await waitFor(() => until(cpCalls.slice(mark)), FOLLOW_MS);
        } else {
            await sleep(SETTLE_MS);
        }
        const followups = cpCalls.slice(mark).map(({ action: a, payload, answer: ans }) => (
            { action: a, payload, answer: ans ?? null }));
        const failures = [];
        const fail = (text) => failures.push(text);
        if (error && !check.expectsError) {
            fail('call failed: ' + JSON.stringify(error));
        }
        try {
            check(answer, error, followups, fail);
        } catch (e) {
            fail('check crashed: ' + (e?.stack ?? String(e)));
        }
        const record = { dir: 'step', n: steps.length + 1, name, action, request, answer, error, followups,
                         verdict: failures.length ? 'FAIL' : 'ok', failures };
        steps.push(record);
        out(record);
        return record;
    }
    const expectError = (fn) => Object.assign(fn, { expectsError: true });
    const status = (want) => (answer, error, f, fail) => {
        if (answer?.status !== want) fail('answer ' + JSON.stringify(answer) + ', expected status ' + want);
    };
    const nothingElse = (f, fail) => {
        if (other(f).length) fail('unexpected follow-ups: ' + actions(other(f)).join(', '));
    };

    // -- configuration --
    await step('GetConfiguration, all keys', 'GetConfiguration', {}, {
        check: (answer, error, f, fail) => {
            const keys = new Map((answer?.configurationKey ?? []).map((k) => [k.key, k]));
            const missing = CORE_KEYS.filter((k) => !keys.has(k));
            if (missing.length) fail('Core keys missing: ' + missing.join(', '));
            if (answer?.unknownKey?.length) fail('unknownKey without keys asked: ' + answer.unknownKey);
            if (keys.get('HeartbeatInterval')?.value !== '300') fail('HeartbeatInterval is not the boot interval 300');
            const n = keys.get('NumberOfConnectors');
            if (n?.value !== '1' || n?.readonly !== true) fail('NumberOfConnectors not "1" read-only: ' + JSON.stringify(n));
            nothingElse(f, fail);
        },
    });
    await step('GetConfiguration, listed keys and an unknown one', 'GetConfiguration',
        { key: ['HeartbeatInterval', 'MeterValueSampleInterval', 'NoSuchKey'] }, {
            check: (answer, error, f, fail) => {
                const got = (answer?.configurationKey ?? []).map((k) => k.key).sort();
                if (JSON.stringify(got) !== JSON.stringify(['HeartbeatInterval', 'MeterValueSampleInterval'])) {
                    fail('configurationKey ' + JSON.stringify(got));
                }
                if (JSON.stringify(answer?.unknownKey) !== JSON.stringify(['NoSuchKey'])) {
                    fail('unknownKey ' + JSON.stringify(answer?.unknownKey));
                }
                nothingElse(f, fail);
            },
        });
    await step('ChangeConfiguration MeterValueSampleInterval = 2', 'ChangeConfiguration',
        { key: 'MeterValueSampleInterval', value: '2' }, {
            check: (answer, error, f, fail) => { status('Accepted')(answer, error, f, fail); nothingElse(f, fail); },
        });
    await step('GetConfiguration shows the change', 'GetConfiguration', { key: ['MeterValueSampleInterval'] }, {
        check: (answer, error, f, fail) => {
            const k = answer?.configurationKey?.[0];
            if (k?.value !== '2' || k?.readonly !== false) fail('MeterValueSampleInterval ' + JSON.stringify(k));
        },
    });
    await step('ChangeConfiguration bad value', 'ChangeConfiguration',
        { key: 'MeterValueSampleInterval', value: 'often' }, {
            check: (answer, error, f, fail) => { status('Rejected')(answer, error, f, fail); nothingElse(f, fail); },
        });
    await step('ChangeConfiguration read-only key', 'ChangeConfiguration',
        { key: 'NumberOfConnectors', value: '2' }, {
            check: (answer, error, f, fail) => { status('Rejected')(answer, error, f, fail); nothingElse(f, fail); },
        });
    await step('ChangeConfiguration unknown key', 'ChangeConfiguration', { key: 'NoSuchKey', value: '1' }, {
        check: (answer, error, f, fail) => { status('NotSupported')(answer, error, f, fail); nothingElse(f, fail); },
    });

    // -- availability while idle --
    await step('ChangeAvailability connector 1 Inoperative', 'ChangeAvailability',
        { connectorId: 1, type: 'Inoperative' }, {
            until: (f) => statuses(f, 1).includes('Unavailable') && statuses(f, 0).includes('Unavailable'),
            check: (answer, error, f, fail) => {
                status('Accepted')(answer, error, f, fail);
                if (statuses(f, 1).at(-1) !== 'Unavailable') fail('connector 1 not Unavailable: ' + statuses(f, 1));
                // the charger's only connector: the whole charger is unavailable too
                if (statuses(f, 0).at(-1) !== 'Unavailable') fail('connector 0 not Unavailable: ' + statuses(f, 0));
            },
        });
    await step('ChangeAvailability connector 1 Operative', 'ChangeAvailability',
        { connectorId: 1, type: 'Operative' }, {
            until: (f) => statuses(f, 1).length && statuses(f, 0).length,
            check: (answer, error, f, fail) => {
                status('Accepted')(answer, error, f, fail);
                // the car is plugged in (no session): Preparing
                if (statuses(f, 1).at(-1) !== 'Preparing') fail('connector 1 not Preparing: ' + statuses(f, 1));
                if (statuses(f, 0).at(-1) !== 'Available') fail('connector 0 not Available: ' + statuses(f, 0));
            },
        });

    // -- cache, vendor data, an unknown action --
    await step('ClearCache', 'ClearCache', {}, {
        check: (answer, error, f, fail) => { status('Accepted')(answer, error, f, fail); nothingElse(f, fail); },
    });
    await step('DataTransfer to an unknown vendor', 'DataTransfer',
        { vendorId: 'com.example.nobody', messageId: 'Ping', data: 'hello' }, {
            check: (answer, error, f, fail) => { status('UnknownVendorId')(answer, error, f, fail); nothingElse(f, fail); },
        });
    // ocpp-rpc in strict mode refuses to send an action it has no schema for ...
    state.expectRefusal = 'FooBar';
    let refusal = null;
    try {
        await client.call('FooBar', {}, { callTimeoutMs: CALL_TIMEOUT_MS });
    } catch (e) {
        refusal = { code: e?.rpcErrorCode ?? null, message: e?.message ?? String(e) };
    } finally {
        state.expectRefusal = null;
    }
    out({ dir: 'note', cp_id: cpId, kind: 'strictRefusal', action: 'FooBar', refused: refusal });
    // ... so strict mode is switched off for this one call (nothing else is in flight)
    client.reconfigure({ strictMode: false });
    try {
        await step('FooBar (unknown action; strict mode off for this call)', 'FooBar', {}, {
            check: expectError((answer, error, f, fail) => {
                if (refusal === null) fail('ocpp-rpc sent FooBar in strict mode');
                if (error?.code !== 'NotImplemented') fail('expected CALLERROR NotImplemented, got ' + JSON.stringify(error ?? answer));
                nothingElse(f, fail);
            }),
        });
    } finally {
        client.reconfigure({ strictMode: true });
    }

    // -- a remote transaction --
    const start = await step('RemoteStartTransaction', 'RemoteStartTransaction', { connectorId: 1, idTag: ID_TAG }, {
        until: (f) => f.some((c) => c.action === 'StartTransaction' && c.answer)
            && statuses(f, 1).includes('Charging') && f.some((c) => c.action === 'MeterValues'),
        check: (answer, error, f, fail) => {
            status('Accepted')(answer, error, f, fail);
            const st = f.filter((c) => c.action === 'StartTransaction');
            if (st.length !== 1) return fail(st.length + ' StartTransaction');
            const p = st[0].payload;
            if (p.connectorId !== 1 || p.idTag !== ID_TAG || !Number.isInteger(p.meterStart)) {
                fail('StartTransaction ' + JSON.stringify(p));
            }
            if (statuses(f, 1).at(-1) !== 'Charging') fail('connector 1 not Charging: ' + statuses(f, 1));
            const id = st[0].answer?.transactionId;
            const mv = f.filter((c) => c.action === 'MeterValues');
            if (!mv.length) fail('no MeterValues');
            for (const m of mv) {
                if (m.payload.connectorId !== 1 || m.payload.transactionId !== id) {
                    fail('MeterValues not for transaction ' + id + ': ' + JSON.stringify(m.payload));
                }
            }
            const order = actions(f);
            if (order.indexOf('StartTransaction') > order.indexOf('MeterValues')) fail('MeterValues before StartTransaction');
        },
    });
    const startCall = start.followups.find((c) => c.action === 'StartTransaction');
    const txId = startCall?.answer?.transactionId ?? -1;
    const meterStart = startCall?.payload?.meterStart ?? null;

    await step('ChangeAvailability Inoperative during the transaction', 'ChangeAvailability',
        { connectorId: 1, type: 'Inoperative' }, {
            check: (answer, error, f, fail) => {
                status('Scheduled')(answer, error, f, fail);
                if (statuses(f, 1).length || statuses(f, 0).length) {
                    fail('a status changed while the transaction runs: ' + statuses(f, 1) + ' / ' + statuses(f, 0));
                }
                nothingElse(f, fail);
            },
        });
    await step('RemoteStopTransaction (the running transaction)', 'RemoteStopTransaction', { transactionId: txId }, {
        until: (f) => f.some((c) => c.action === 'StopTransaction')
            && statuses(f, 1).includes('Unavailable') && statuses(f, 0).includes('Unavailable'),
        check: (answer, error, f, fail) => {
            status('Accepted')(answer, error, f, fail);
            const sp = f.filter((c) => c.action === 'StopTransaction');
            if (sp.length !== 1) return fail(sp.length + ' StopTransaction');
            const p = sp[0].payload;
            if (p.transactionId !== txId || p.reason !== 'Remote') fail('StopTransaction ' + JSON.stringify(p));
            if (!(p.meterStop > meterStart)) fail('meterStop ' + p.meterStop + ' not above meterStart ' + meterStart);
            // the scheduled Inoperative is applied once the transaction is over
            const order = actions(f);
            const firstUnavailable = f.findIndex((c) => c.action === 'StatusNotification'
                && c.payload.connectorId === 1 && c.payload.status === 'Unavailable');
            if (firstUnavailable < order.indexOf('StopTransaction')) fail('Unavailable before the StopTransaction');
            if (statuses(f, 1).at(-1) !== 'Unavailable') fail('connector 1 not Unavailable: ' + statuses(f, 1));
            if (statuses(f, 0).at(-1) !== 'Unavailable') fail('connector 0 not Unavailable: ' + statuses(f, 0));
        },
    });
    await step('ChangeAvailability Operative after the transaction', 'ChangeAvailability',
        { connectorId: 1, type: 'Operative' }, {
            until: (f) => statuses(f, 1).length && statuses(f, 0).length,
            check: (answer, error, f, fail) => {
                status('Accepted')(answer, error, f, fail);
                // the cable is still in after a transaction: Finishing (until unplugged)
                if (statuses(f, 1).at(-1) !== 'Finishing') fail('connector 1 not Finishing: ' + statuses(f, 1));
                if (statuses(f, 0).at(-1) !== 'Available') fail('connector 0 not Available: ' + statuses(f, 0));
            },
        });
    await step('UnlockConnector', 'UnlockConnector', { connectorId: 1 }, {
        check: (answer, error, f, fail) => {
            // code.py wires the board's lock: the desktop board has one (it prints and succeeds)
            status('Unlocked')(answer, error, f, fail);
            if (f.some((c) => c.action === 'StopTransaction')) fail('StopTransaction without a transaction');
            nothingElse(f, fail);
        },
    });
    await step('RemoteStopTransaction with a wrong id', 'RemoteStopTransaction', { transactionId: txId + 1000 }, {
        check: (answer, error, f, fail) => { status('Rejected')(answer, error, f, fail); nothingElse(f, fail); },
    });

    // -- last: Reset; the board then ends code.py, which closes the connection --
    await step('Reset Soft', 'Reset', { type: 'Soft' }, {
        until: () => state.closed !== null,
        check: (answer, error, f, fail) => {
            status('Accepted')(answer, error, f, fail);
            if (f.some((c) => c.action === 'StopTransaction')) fail('StopTransaction without a transaction');
            nothingElse(f, fail);
            if (state.closed === null) fail('the charge point did not close the connection after the Reset');
            else if (state.closed.code !== 1000) fail('closed with code ' + state.closed.code + ', expected 1000');
        },
    });

    return {
        dir: 'summary',
        ok: steps.every((s) => s.verdict === 'ok') && validationErrors === 0,
        steps: steps.map((s) => ({ n: s.n, name: s.name, verdict: s.verdict, failures: s.failures })),
        validation_errors: validationErrors,
        strict_refusal: refusal,
        closed: state.closed,
        transaction_id: txId,
    };
}

await serve(server, port, host);

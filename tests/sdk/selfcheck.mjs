// selfcheck.mjs — checks the sign.mjs oracle before C++ tests lean on it:
// the providers' published vectors, a sign-then-SDK-validate round trip for
// every op pair, the exact signed strings (recomputed here with bare
// node:crypto), and the stdin/stdout line protocol. `node selfcheck.mjs`;
// prints one line per check and exits non-zero if any fails.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Telnyx from 'telnyx';
import { handle } from './sign.mjs';

let passed = 0, failed = 0;
async function check(name, fn) {
  try { await fn(); passed++; console.log(`ok ${name}`); }
  catch (e) { failed++; console.log(`FAIL ${name}: ${e.message}`); }
}
async function call(req) {
  const ans = await handle(req);
  if (ans.error) throw new Error(`${req.op}: ${ans.error}`);
  return ans;
}
const isValid = async (req) => (await call(req)).valid;
const hmac = (alg, key, data, enc = 'base64') => crypto.createHmac(alg, key).update(data).digest(enc);
const now = () => Math.floor(Date.now() / 1000);

// ---- published vectors --------------------------------------------------------

const TW = {
  token: '12345', url: 'https://mycompany.com/myapp.php?foo=1&bar=2',
  params: { CallSid: 'CA1234567890ABCDE', Caller: '+14158675310', Digits: '1234', From: '+14158675310', To: '+18005551212' },
};
await check('twilio published vector', async () => {
  const { signature } = await call({ op: 'twilio_sign', ...TW });
  assert.equal(signature, 'GvWf1cFY/Q7PnoempGyD5oXAezc=');
  assert.equal(await isValid({ op: 'twilio_validate', ...TW, signature }), true);
  // validateRequest also tries the URL with the default port added
  assert.equal(await isValid({ op: 'twilio_validate', ...TW, url: 'https://mycompany.com:443/myapp.php?foo=1&bar=2', signature }), true);
  assert.equal(await isValid({ op: 'twilio_validate', ...TW, params: { ...TW.params, Digits: '1235' }, signature }), false);
});

const SW = { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', id: 'msg_p5jXN8AQM9LWM0D4loKWxJek', timestamp: 1614265330, body: '{"test": 2432232314}' };
const SW_SIG = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
await check('standard webhooks published vector', async () => {
  assert.equal((await call({ op: 'sw_sign', ...SW })).signature, SW_SIG);
  assert.equal(await isValid({ op: 'sw_verify', ...SW, signature: SW_SIG, now: SW.timestamp }), true);
  // the real clock: 2021 is far outside the 5-minute tolerance
  assert.equal(await isValid({ op: 'sw_verify', ...SW, signature: SW_SIG }), false);
  assert.equal(await isValid({ op: 'sw_verify', ...SW, signature: SW_SIG, now: SW.timestamp + 300 }), true);
  assert.equal(await isValid({ op: 'sw_verify', ...SW, signature: SW_SIG, now: SW.timestamp + 301 }), false);
  assert.equal(await isValid({ op: 'sw_verify', ...SW, signature: SW_SIG, now: SW.timestamp - 300 }), true);
  assert.equal(await isValid({ op: 'sw_verify', ...SW, signature: SW_SIG, now: SW.timestamp - 301 }), false);
});

await check('plivo V2 published vector', async () => {
  const req = { url: 'https://answer.url', nonce: '12345', token: 'my_auth_token' };
  const { signature } = await call({ op: 'plivo_v2_sign', ...req });
  assert.equal(signature, 'ehV3IKhLysWBxC1sy8INm0qGoQYdYsHwuoKjsX7FsXc=');
  assert.equal(await isValid({ op: 'plivo_v2_validate', ...req, signature }), true);
  assert.equal(await isValid({ op: 'plivo_v2_validate', ...req, nonce: '12346', signature }), false);
});

// ---- round trips and exact constructions ----------------------------------------

await check('twilio: data = url + sorted name+value; arrays de-duplicated and sorted', async () => {
  const url = 'https://h.example/x?z=1';
  const params = { b: ['2', '1', '2'], a: 'x&y=z' };
  const { signature } = await call({ op: 'twilio_sign', token: 't', url, params });
  assert.equal(signature, hmac('sha1', 't', url + 'ax&y=z' + 'b1' + 'b2'));
  assert.equal(await isValid({ op: 'twilio_validate', token: 't', url, params, signature }), true);
});

await check('twilio bodySHA256: the URL carrying the hash is signed, no params', async () => {
  const body = '{"event":"message.received","text":"héllo"}';
  const { hash } = await call({ op: 'twilio_body_hash', body });
  assert.equal(hash, (await call({ op: 'sha256_hex', body })).hex);
  const url = `https://h.example/hook?bodySHA256=${hash}`;
  const { signature } = await call({ op: 'twilio_sign', token: 't', url, params: {} });
  assert.equal(signature, hmac('sha1', 't', url));
  assert.equal(await isValid({ op: 'twilio_validate_body', token: 't', url, body, signature }), true);
  assert.equal(await isValid({ op: 'twilio_validate_body', token: 't', url, body: body + ' ', signature }), false);
});

await check('standard webhooks: round trip, multiple signatures, versions', async () => {
  const req = { ...SW, timestamp: now(), body: 'not json at all' };
  const { signature } = await call({ op: 'sw_sign', ...req });
  const key = Buffer.from(SW.secret.slice('whsec_'.length), 'base64');
  assert.equal(signature, 'v1,' + hmac('sha256', key, `${req.id}.${req.timestamp}.${req.body}`));
  const good = signature.slice(3);
  assert.equal(await isValid({ op: 'sw_verify', ...req, signature }), true);
  assert.equal(await isValid({ op: 'sw_verify', ...req, signature: `v1,AAAA ${signature}` }), true);
  assert.equal(await isValid({ op: 'sw_verify', ...req, signature: `v2,${good}` }), false);
  assert.equal(await isValid({ op: 'sw_verify', ...req, signature: `v1a,${good}` }), false);
  assert.equal(await isValid({ op: 'sw_verify', ...req, body: req.body + 'x', signature }), false);
});

await check('telnyx: ed25519 over "timestamp|body", SDK verify and client.webhooks.unwrap', async () => {
  const { public_raw_b64, private_pem } = await call({ op: 'ed25519_keypair' });
  const body = '{"data":{"event_type":"message.received","payload":{"text":"hi"}}}';
  const timestamp = now();
  const { signature_b64 } = await call({ op: 'ed25519_sign', private_pem, message: `${timestamp}|${body}` });
  const req = { op: 'telnyx_verify', public_key_b64: public_raw_b64, body, timestamp, signature_b64 };
  assert.equal(await isValid(req), true);
  assert.equal(await isValid({ ...req, body: body + ' ' }), false);
  assert.equal(await isValid({ ...req, timestamp: timestamp + 1 }), false);
  assert.equal(await isValid({ ...req, now: timestamp + 300 }), true);
  assert.equal(await isValid({ ...req, now: timestamp + 301 }), false);
  assert.equal(await isValid({ ...req, now: timestamp - 301 }), false);
  // the client's public entry point (dummy API key, no network) agrees
  const client = new Telnyx({ apiKey: 'dummy-key-no-network', publicKey: public_raw_b64 });
  const headers = { 'Telnyx-Signature-Ed25519': signature_b64, 'Telnyx-Timestamp': String(timestamp) };
  assert.deepEqual(await client.webhooks.unwrap(body, { headers }), JSON.parse(body));
  await assert.rejects(client.webhooks.unwrap(body + ' ', { headers }));
});

await check('plivo V2: base URL without query/fragment, + nonce', async () => {
  const req = { url: 'https://h.example:8443/cb/sms.php?b=2&a=1#f', nonce: '777', token: 'tok' };
  const { signature } = await call({ op: 'plivo_v2_sign', ...req });
  assert.equal(signature, hmac('sha256', 'tok', 'https://h.example:8443/cb/sms.php777'));
  assert.equal(await isValid({ op: 'plivo_v2_validate', ...req, url: 'https://h.example:8443/cb/sms.php', signature }), true);
});

const V3 = [ // [method, url, params, exact string signed before '.' + nonce]
  ['POST', 'https://h.example/cb?b=3&a=1&b=2', { To: '+2', From: '+1', Text: 'a=b&c' }, 'https://h.example/cb?a=1&b=2&b=3.From+1Texta=b&cTo+2'],
  ['POST', 'https://h.example/cb', { To: '+2', From: '+1' }, 'https://h.example/cb?From+1To+2'],
  ['POST', 'https://h.example/cb?x=%2B1+y', {}, 'https://h.example/cb?x=+1 y'],
  ['POST', 'https://h.example/cb', {}, 'https://h.example/cb'],
  ['GET', 'https://h.example/cb?To=%2B2&From=%2B1', {}, 'https://h.example/cb?From=+1&To=+2'],
  ['GET', 'https://h.example/cb', {}, 'https://h.example/cb'],
];
for (const [method, url, params, str] of V3) {
  await check(`plivo V3 ${method} ${url} ${JSON.stringify(params)}`, async () => {
    const req = { method, url, nonce: '123', token: 'tok', params };
    const { signature } = await call({ op: 'plivo_v3_sign', ...req });
    assert.equal(signature, hmac('sha256', 'tok', `${str}.123`));
    assert.equal(await isValid({ op: 'plivo_v3_validate', ...req, signature }), true);
    assert.equal(await isValid({ op: 'plivo_v3_validate', ...req, signature: `AAAA,${signature}` }), true);
    assert.equal(await isValid({ op: 'plivo_v3_validate', ...req, signature: `AAAA, ${signature}` }), false);
    assert.equal(await isValid({ op: 'plivo_v3_validate', ...req, nonce: '124', signature }), false);
  });
}

const VONAGE_PARAMS = { msisdn: '447700900001', to: '447700900000', text: 'a=b&c d', timestamp: '1614265330', 'message-timestamp': '2021-02-25 15:02:10' };
for (const method of ['md5hash', 'md5hmac', 'sha1hmac', 'sha256hmac', 'sha512hmac']) {
  await check(`vonage sms sig ${method}`, async () => {
    const { sig } = await call({ op: 'vonage_sms_sign', params: VONAGE_PARAMS, secret: 'sec', method });
    const str = '&message-timestamp=2021-02-25 15:02:10&msisdn=447700900001&text=a_b_c d&timestamp=1614265330&to=447700900000';
    const expect = method === 'md5hash' ? crypto.createHash('md5').update(str + 'sec').digest('hex')
      : hmac(method.replace(/hmac$/, ''), 'sec', str, 'hex');
    assert.equal(sig, expect);
    const signed = { ...VONAGE_PARAMS, sig };
    assert.equal(await isValid({ op: 'vonage_sms_verify', params: signed, secret: 'sec', method }), true);
    assert.equal(await isValid({ op: 'vonage_sms_verify', params: { ...signed, sig: sig.toUpperCase() }, secret: 'sec', method }), true);
    assert.equal(await isValid({ op: 'vonage_sms_verify', params: { ...signed, text: 'x' }, secret: 'sec', method }), false);
  });
}

await check('vonage messages JWT HS256 with payload_hash', async () => {
  const body = '{"message_uuid":"aaaaaaaa-bbbb-cccc-dddd-0123456789ab","text":"hi"}';
  const { hex } = await call({ op: 'sha256_hex', body });
  assert.equal(hex, crypto.createHash('sha256').update(body).digest('hex'));
  const t = now();
  const claims = { iat: t, jti: 'j1', iss: 'Vonage', payload_hash: hex, api_key: 'k', application_id: 'app' };
  const { token } = await call({ op: 'vonage_jwt_sign', secret: 's3cret', claims });
  assert.equal(await isValid({ op: 'vonage_jwt_verify', token, secret: 's3cret' }), true);
  assert.equal(await isValid({ op: 'vonage_jwt_verify', token, secret: 'other' }), false);
  assert.equal(await isValid({ op: 'vonage_jwt_verify', token: token.slice(0, -2) + 'AA', secret: 's3cret' }), false);
  const { token: expiring } = await call({ op: 'vonage_jwt_sign', secret: 's3cret', claims: { ...claims, exp: t + 60 } });
  assert.equal(await isValid({ op: 'vonage_jwt_verify', token: expiring, secret: 's3cret' }), true);
  assert.equal(await isValid({ op: 'vonage_jwt_verify', token: expiring, secret: 's3cret', now: t + 60 }), false);
});

await check('errors are answers, not crashes', async () => {
  assert.match((await handle({ op: 'nope' })).error, /unknown op/);
  assert.match((await handle({ op: 'twilio_sign', url: 'x' })).error, /missing field: token/);
  assert.match((await handle({ op: 'vonage_sms_sign', params: {}, secret: 's', method: 'md4' })).error, /unknown method/);
  assert.match((await handle({ op: 'plivo_v3_sign', method: 'PUT', url: 'https://h', nonce: '1', token: 't' })).error, /GET or POST/);
});

await check('line protocol: one answer per line, in order, exit 0 at EOF', async () => {
  const input = [
    JSON.stringify({ op: 'sha256_hex', body: '' }), 'not json', '',
    JSON.stringify({ op: 'sw_sign', ...SW }),
  ].join('\n') + '\n';
  const r = spawnSync(process.execPath, [fileURLToPath(new URL('./sign.mjs', import.meta.url))], { input, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 4);
  assert.equal(lines[0].hex, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.ok(lines[1].error && lines[2].error);
  assert.equal(lines[3].signature, SW_SIG);
});

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

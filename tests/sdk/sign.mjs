// sign.mjs — an outside oracle for vrnum's webhook signature verifiers.
//
// The C++ tests compare our verifiers with the providers' OWN npm SDKs (twilio,
// telnyx, plivo, @vonage/sms, @vonage/jwt, standardwebhooks) and node:crypto,
// never with our code. Protocol: one JSON request per line on stdin, exactly one
// JSON answer per line on stdout, in order; {"error": "..."} on failure, and the
// next line is read; exit at EOF. Versions are pinned in package.json.
//
// Where an SDK only verifies (Plivo V2/V3, Vonage SMS `sig`), the *_sign op
// computes the string exactly as that SDK's validator builds it, then asks the
// validator; an answer is given only if the SDK accepts it.
//
// Clock: sw_verify, telnyx_verify and vonage_jwt_verify check times against
// Date.now(). Send an optional `now` (unix seconds) to run that one call with a
// fixed clock; without it the real clock is used.
//
// Nothing here opens a network connection.

import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import readline from 'node:readline';
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import querystring from 'node:querystring';

import twilio from 'twilio';
import { TelnyxWebhook, TelnyxWebhookVerificationError } from 'telnyx/lib/webhooks';
import plivo from 'plivo';
import { SMS } from '@vonage/sms';
import { verifySignature as vonageJwtVerify } from '@vonage/jwt';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';

const require = createRequire(import.meta.url);
// Packages that an SDK uses internally, loaded from where that SDK loads them.
const depOf = (sdk, dep) => createRequire(require.resolve(sdk))(dep);
const uriParser = depOf('plivo', 'uri-parser');
const buildUrl = depOf('plivo', 'build-url');
const utf8 = depOf('plivo', 'utf8');
const { AlgorithmTypes } = depOf('@vonage/sms', '@vonage/auth');

const vonageSms = new SMS({ apiKey: 'dummy', apiSecret: 'dummy' });

// ---- helpers ----------------------------------------------------------------

function need(req, ...names) {
  for (const n of names) if (req[n] === undefined) throw new Error(`missing field: ${n}`);
}

// Runs fn with Date.now() pinned to `now` (unix seconds) if given.
async function withClock(now, fn) {
  if (now === undefined) return fn();
  const real = Date.now;
  Date.now = () => Number(now) * 1000;
  try { return await fn(); } finally { Date.now = real; }
}

const b64url = (buf) => Buffer.from(buf).toString('base64url');
const hmacB64 = (alg, key, data) => crypto.createHmac(alg, key).update(data).digest('base64');

// Plivo: the base URL as plivo/dist/utils/security.js validateSignature and
// v3Security.js construct_get_url build it (uri-parser loose mode + build-url).
function plivoBaseUrl(encodedUri) {
  const p = uriParser.parse(encodedUri);
  const proto = p.protocol === '' ? 'http://' : p.protocol + '://';
  const proxy = p.port === '' ? p.host : p.host + ':' + p.port;
  return { base: buildUrl(proto + proxy, { path: p.path }), query: p.query };
}

// The string plivo v3Security.js get_signature_v3 HMACs (before '.' + nonce).
function plivoV3String(method, encodedUri, params) {
  const sortedQuery = (m) => Object.keys(m).sort()
    .flatMap((k) => [].concat(m[k]).sort().map((v) => `${k}=${v}`)).join('&');
  const sortedParams = (m) => Object.keys(m).sort()
    .flatMap((k) => [].concat(m[k]).sort().map((v) => `${k}${v}`)).join('');
  const merge = (a, b) => {
    const out = {};
    for (const m of [a, b]) for (const k of Object.keys(m)) out[k] = (out[k] || []).concat(m[k]);
    return out;
  };
  const getUrl = (extra, emptyPost) => {
    const { base, query } = plivoBaseUrl(encodedUri);
    const q = sortedQuery(merge(querystring.parse(query), extra));
    let url = base;
    if (q.length > 0 || !emptyPost) url += '?' + q;
    if (q.length > 0 && !emptyPost) url += '.';
    return url;
  };
  if (method === 'GET') return getUrl(params, true);
  if (method === 'POST') return getUrl({}, Object.keys(params).length === 0) + sortedParams(params);
  throw new Error('method must be GET or POST');
}

// Vonage SMS: the string @vonage/sms SMS.verifySignature hashes.
function vonageSmsString(params) {
  return Object.keys(params).filter((k) => !(k === 'sig' && params.sig)).sort()
    .map((k) => '&' + k + '=' + params[k].replace(/[&=]/g, '_')).join('');
}

function vonageAlg(method) {
  const alg = AlgorithmTypes[method];
  if (!alg) throw new Error(`unknown method: ${method}`);
  return alg;
}

// ---- ops --------------------------------------------------------------------

const ops = {
  twilio_sign: (r) => (need(r, 'token', 'url'),
    { signature: twilio.getExpectedTwilioSignature(r.token, r.url, r.params ?? {}) }),
  twilio_body_hash: (r) => (need(r, 'body'), { hash: twilio.getExpectedBodyHash(r.body) }),
  twilio_validate: (r) => (need(r, 'token', 'signature', 'url'),
    { valid: twilio.validateRequest(r.token, r.signature, r.url, r.params ?? {}) }),
  twilio_validate_body: (r) => (need(r, 'token', 'signature', 'url', 'body'),
    { valid: twilio.validateRequestWithBody(r.token, r.signature, r.url, r.body) }),

  sw_sign: (r) => (need(r, 'secret', 'id', 'timestamp', 'body'),
    { signature: new Webhook(r.secret).sign(r.id, new Date(Number(r.timestamp) * 1000), r.body) }),
  sw_verify: (r) => {
    need(r, 'secret', 'id', 'timestamp', 'signature', 'body');
    const wh = new Webhook(r.secret);
    const headers = { 'webhook-id': r.id, 'webhook-timestamp': String(r.timestamp), 'webhook-signature': r.signature };
    return withClock(r.now, () => {
      try { wh.verify(r.body, headers, { jsonParse: false }); return { valid: true }; }
      catch (e) { if (e instanceof WebhookVerificationError) return { valid: false, reason: e.message }; throw e; }
    });
  },

  ed25519_keypair: () => {
    const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
    return {
      public_raw_b64: Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url').toString('base64'),
      private_pem: privateKey.export({ format: 'pem', type: 'pkcs8' }),
    };
  },
  ed25519_sign: (r) => (need(r, 'private_pem', 'message'),
    { signature_b64: crypto.sign(null, Buffer.from(r.message, 'utf8'), r.private_pem).toString('base64') }),

  // telnyx/lib/webhooks TelnyxWebhook.verify: what client.webhooks.unwrap runs before JSON.parse.
  telnyx_verify: (r) => {
    need(r, 'public_key_b64', 'body', 'timestamp', 'signature_b64');
    const headers = { 'telnyx-signature-ed25519': r.signature_b64, 'telnyx-timestamp': String(r.timestamp) };
    return withClock(r.now, async () => {
      try { await new TelnyxWebhook(r.public_key_b64).verify(r.body, headers); return { valid: true }; }
      catch (e) { if (e instanceof TelnyxWebhookVerificationError) return { valid: false, reason: e.message }; throw e; }
    });
  },

  plivo_v2_sign: (r) => {
    need(r, 'url', 'nonce', 'token');
    const { base } = plivoBaseUrl(utf8.encode(r.url));
    const signature = hmacB64('sha256', utf8.encode(r.token), base + utf8.encode(r.nonce));
    if (!plivo.validateSignature(r.url, r.nonce, signature, r.token)) throw new Error('plivo SDK rejected our V2 signature');
    return { signature };
  },
  plivo_v2_validate: (r) => (need(r, 'url', 'nonce', 'token', 'signature'),
    { valid: plivo.validateSignature(r.url, r.nonce, r.signature, r.token) }),
  plivo_v3_sign: (r) => {
    need(r, 'method', 'url', 'nonce', 'token');
    const params = r.params ?? {};
    const data = plivoV3String(r.method, utf8.encode(r.url), params) + '.' + utf8.encode(r.nonce);
    const signature = hmacB64('sha256', utf8.encode(r.token), data);
    if (!plivo.validateV3Signature(r.method, r.url, r.nonce, r.token, signature, structuredClone(params)))
      throw new Error('plivo SDK rejected our V3 signature');
    return { signature };
  },
  plivo_v3_validate: (r) => (need(r, 'method', 'url', 'nonce', 'token', 'signature'),
    { valid: plivo.validateV3Signature(r.method, r.url, r.nonce, r.token, r.signature, structuredClone(r.params ?? {})) }),

  vonage_sms_sign: (r) => {
    need(r, 'params', 'secret', 'method');
    const alg = vonageAlg(r.method);
    const str = vonageSmsString(r.params);
    const sig = alg === AlgorithmTypes.md5hash
      ? crypto.createHash('md5').update(str + r.secret).digest('hex')
      : crypto.createHmac(r.method.replace(/hmac$/, ''), r.secret).update(str).digest('hex');
    if (!vonageSms.verifySignature(sig, r.params, r.secret, alg)) throw new Error('@vonage/sms rejected our sig');
    return { sig };
  },
  vonage_sms_verify: (r) => (need(r, 'params', 'secret', 'method'),
    { valid: vonageSms.verifySignature(r.params.sig ?? '', r.params, r.secret, vonageAlg(r.method)) }),

  vonage_jwt_sign: (r) => {
    need(r, 'secret', 'claims');
    const input = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' })) + '.' + b64url(JSON.stringify(r.claims));
    return { token: input + '.' + crypto.createHmac('sha256', r.secret).update(input).digest('base64url') };
  },
  vonage_jwt_verify: (r) => (need(r, 'token', 'secret'),
    withClock(r.now, () => ({ valid: vonageJwtVerify(r.token, r.secret) }))),

  sha256_hex: (r) => (need(r, 'body'), { hex: crypto.createHash('sha256').update(r.body, 'utf8').digest('hex') }),
};

// One request object in, one answer object out; never throws.
export async function handle(req) {
  try {
    if (req === null || typeof req !== 'object' || Array.isArray(req)) throw new Error('request must be a JSON object');
    const op = ops[req.op];
    if (!op || !Object.hasOwn(ops, req.op)) throw new Error(`unknown op: ${req.op}`);
    return await op(req);
  } catch (e) {
    return { error: String(e?.message ?? e) };
  }
}

export async function handleLine(line) {
  let req;
  try { req = JSON.parse(line); } catch (e) { return { error: `bad JSON: ${e.message}` }; }
  return handle(req);
}

async function main() {
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    // stdout to a pipe or file is synchronous on Linux: each answer leaves at once.
    process.stdout.write(JSON.stringify(await handleLine(line)) + '\n');
  }
}

const invokedAs = process.argv[1] ? pathToFileURL(realpathSync(process.argv[1])).href : '';
if (import.meta.url === invokedAs) await main();

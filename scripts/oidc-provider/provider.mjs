// A real OpenID Provider for Flywheel's sign-in tests: panva's certified `oidc-provider`
// (pinned by package-lock.json), configured from a JSON file with one client and a few
// users, with a minimal login page (a user name, no password) and consent granted to the
// configured client, as a company's identity provider grants it for a first-party app.
//
// The signing key is generated at start (an RSA key with a fresh `kid`), so restarting the
// provider on the same port is a key rotation.
//
// Faults, as a real provider or an attacker can produce them: `POST /__test/next` with a
// body `aud`, `exp`, `iss`, `nonce`, `sig` or `key` makes the *next* token response carry
// an ID token with a wrong audience, expired, with another issuer, with another nonce,
// with a broken signature, or signed by a key the provider does not publish. Every other
// request is the provider's own.
//
// Usage: node provider.mjs CONFIG.json   (prints `listening URL` once it accepts)
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import * as jose from 'jose';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const port = Number(config.port);
const issuer = `http://127.0.0.1:${port}`;

async function signingKey() {
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const jwk = await jose.exportJWK(privateKey);
  return { ...jwk, kid: `key-${randomUUID()}`, alg: 'RS256', use: 'sig' };
}

const key = await signingKey();
const users = new Map(config.users.map((u) => [u.sub, u]));

const provider = new Provider(issuer, {
  clients: [{
    client_id: config.client_id,
    client_secret: config.client_secret,
    redirect_uris: config.redirect_uris,
    post_logout_redirect_uris: config.post_logout_redirect_uris ?? [],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [key] },
  cookies: { keys: [randomUUID()] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    groups: ['groups'],
  },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      // Signing out needs no confirmation in the tests: the form submits itself.
      async logoutSource(ctx, form) {
        ctx.body = `<!doctype html><title>Signing out</title>${form}
<script>const f = document.getElementById('op.logoutForm');
const i = document.createElement('input'); i.type = 'hidden'; i.name = 'logout'; i.value = 'yes';
f.appendChild(i); f.submit();</script>`;
      },
      async postLogoutSuccessSource(ctx) {
        ctx.body = '<!doctype html><title>Signed out</title><p>Signed out at the provider.</p>';
      },
    },
  },
  pkce: { required: () => true },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile groups');
    await grant.save();
    return grant;
  },
  async findAccount(ctx, sub) {
    const user = users.get(sub);
    if (!user) return undefined;
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          email: user.email,
          email_verified: user.email_verified !== false,
          name: user.name,
          groups: user.groups ?? [],
        };
      },
    };
  },
});

let nextFault = null;

async function faulty(idToken, fault) {
  const [h, p] = idToken.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const claims = JSON.parse(Buffer.from(p, 'base64url'));
  const now = Math.floor(Date.now() / 1000);
  let signWith = key;
  if (fault === 'aud') claims.aud = 'another-application';
  if (fault === 'exp') { claims.iat = now - 7200; claims.exp = now - 3600; }
  if (fault === 'iss') claims.iss = 'http://127.0.0.1:1/not-the-issuer';
  if (fault === 'nonce') claims.nonce = 'not-the-nonce-flywheel-sent';
  if (fault === 'key') signWith = await signingKey();
  const privateKey = await jose.importJWK(signWith, 'RS256');
  const token = await new jose.CompactSign(Buffer.from(JSON.stringify(claims)))
    .setProtectedHeader({ ...header, kid: signWith.kid })
    .sign(privateKey);
  if (fault !== 'sig') return token;
  const [a, b, s] = token.split('.');
  const bytes = Buffer.from(s, 'base64url');
  bytes[0] ^= 0xff;
  return `${a}.${b}.${bytes.toString('base64url')}`;
}

// Rewrites the ID token of one token response when a fault is armed.
function intercept(res, fault) {
  const end = res.end.bind(res);
  res.end = (body, ...rest) => {
    let json;
    try { json = JSON.parse(String(body)); } catch { return end(body, ...rest); }
    if (!json.id_token) return end(body, ...rest);
    faulty(json.id_token, fault).then((token) => {
      const out = JSON.stringify({ ...json, id_token: token });
      res.setHeader('content-length', Buffer.byteLength(out));
      end(out);
    }, (e) => { console.error(e); end(body, ...rest); });
    return res;
  };
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.on('data', (c) => { data += c; });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

function escape(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function interaction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (req.method === 'POST') {
    const login = new URLSearchParams(await readBody(req)).get('login') ?? '';
    const user = [...users.values()].find((u) => u.login === login);
    if (!user) {
      res.writeHead(400, { 'content-type': 'text/html' });
      res.end(`<!doctype html><p id="error">No such user: ${escape(login)}</p>`);
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: user.sub } },
      { mergeWithLastSubmission: false });
    return;
  }
  if (details.prompt.name !== 'login') {
    await provider.interactionFinished(req, res, {}, { mergeWithLastSubmission: true });
    return;
  }
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end(`<!doctype html><title>Test identity provider</title>
<h1>Sign in to the test identity provider</h1>
<form method="post" action="/interaction/${escape(uid)}">
<label>User <input id="login" name="login" autofocus></label>
<button id="sign-in" type="submit">Sign in</button></form>`);
}

const handler = provider.callback();
const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, issuer);
    if (url.pathname === '/__test/next' && req.method === 'POST') {
      nextFault = (await readBody(req)).trim() || null;
      res.writeHead(204).end();
      return;
    }
    const m = url.pathname.match(/^\/interaction\/([^/]+)$/);
    if (m) { await interaction(req, res, m[1]); return; }
    if (url.pathname === '/token' && nextFault) {
      intercept(res, nextFault);
      nextFault = null;
    }
    handler(req, res);
  } catch (e) {
    console.error(e);
    if (!res.headersSent) res.writeHead(500);
    res.end(String(e));
  }
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening ${issuer}\n`);
  // Whoever started us reads that one line; everything else goes to stderr, and a closed
  // stdout is not a reason to stop.
  process.stdout.on('error', () => {});
  console.log = console.error;
  console.info = console.error;
});

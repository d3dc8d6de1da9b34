// An independent verifier for Flywheel's credentials: Digital Bazaar's JavaScript stack
// (jsonld.js, rdf-canonize, @digitalbazaar/vc with the eddsa-rdfc-2022 cryptosuite, the
// did:key driver, the Bitstring Status List checker) and `jose` for VC-JWTs. Nothing here
// shares code with Flywheel; it is installed from the npm registry by run.sh.
//
// usage: node verify.mjs [--context URL=FILE]... [--document URL=FILE]... FILE...
// A FILE holding JSON is verified as a Data Integrity credential, anything else as a
// VC-JWT. Prints one JSON line per file: {file, verified, revoked, error}. Exits 0.
// The document loader never touches the network: contexts and documents come from the
// files given, DIDs from the did:key driver.
import {readFileSync} from 'node:fs';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {driver as didKeyDriverFactory} from '@digitalbazaar/did-method-key';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';
import {contexts as credentialContexts} from '@digitalbazaar/credentials-context';
import * as jose from 'jose';

const documents = new Map();
const files = [];
const args = process.argv.slice(2);
for(let i = 0; i < args.length; i++) {
  if(args[i] === '--context' || args[i] === '--document') {
    const [url, file] = args[++i].split(/=(.*)/s);
    documents.set(url, JSON.parse(readFileSync(file, 'utf8')));
  } else {
    files.push(args[i]);
  }
}
// The W3C VC 2.0 context comes from the npm package, not from Flywheel's copy.
for(const [url, doc] of credentialContexts) {
  if(!documents.has(url)) {
    documents.set(url, doc);
  }
}

const didKeyDriver = didKeyDriverFactory();
didKeyDriver.use({
  multibaseMultikeyHeader: 'z6Mk',
  fromMultibase: Ed25519Multikey.from
});

async function documentLoader(url) {
  if(url.startsWith('did:key:')) {
    const document = await didKeyDriver.get({url});
    return {contextUrl: null, documentUrl: url, document};
  }
  if(documents.has(url)) {
    return {contextUrl: null, documentUrl: url, document: documents.get(url)};
  }
  // 1EdTech's vector names its key in the fragment of an https id (the harness's
  // known-good control); answer it the way its specification page lists the key.
  const [base, fragment] = url.split('#');
  if(fragment && fragment.startsWith('z6Mk')) {
    const method = {
      '@context': 'https://w3id.org/security/multikey/v1',
      id: url, type: 'Multikey', controller: base, publicKeyMultibase: fragment
    };
    return {contextUrl: null, documentUrl: url, document: method};
  }
  if(url.startsWith('https://example.edu/issuers/')) {
    const method = `${url}#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi`;
    return {contextUrl: null, documentUrl: url, document: {
      '@context': 'https://www.w3.org/ns/did/v1', id: url, assertionMethod: [method]
    }};
  }
  throw new Error(`no network: ${url} is not a local document`);
}

const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});

async function verifyDataIntegrity(credential) {
  const hasStatus = Boolean(credential.credentialStatus);
  const result = await vc.verifyCredential({
    credential, suite, documentLoader,
    checkStatus: hasStatus ? checkStatus : undefined
  });
  const revoked = hasStatus && result.statusResult ?
    result.statusResult.results?.some(r => r.status === true) ?? null : null;
  const messages = [
    ...(result.error?.errors ?? (result.error ? [result.error] : [])),
    ...(result.results ?? []).map(r => r.error).filter(Boolean),
    ...(result.statusResult?.error ? [result.statusResult.error] : [])
  ].map(e => e.message);
  const error = result.verified ? null : (messages.join('; ') || 'not verified');
  return {verified: result.verified, revoked, error};
}

async function verifyJwt(token) {
  const header = jose.decodeProtectedHeader(token);
  if(header.alg !== 'EdDSA' || !header.kid?.startsWith('did:key:')) {
    return {verified: false, revoked: null, error: `unexpected header ${JSON.stringify(header)}`};
  }
  const method = await didKeyDriver.get({url: header.kid});
  const key = await Ed25519Multikey.from(method);
  const jwk = await Ed25519Multikey.toJwk({keyPair: key});
  try {
    const {payload, protectedHeader} = await jose.compactVerify(token, await jose.importJWK(jwk, 'EdDSA'));
    const credential = JSON.parse(new TextDecoder().decode(payload));
    const issuer = typeof credential.issuer === 'object' ? credential.issuer.id : credential.issuer;
    if(issuer !== method.controller) {
      return {verified: false, revoked: null, error: `issuer ${issuer} is not the key's controller ${method.controller}`};
    }
    if(!credential.type?.includes('OpenBadgeCredential') || protectedHeader.typ !== 'vc+jwt') {
      return {verified: false, revoked: null, error: 'not an OpenBadgeCredential VC-JWT'};
    }
    return {verified: true, revoked: null, error: null};
  } catch(e) {
    return {verified: false, revoked: null, error: e.message};
  }
}

for(const file of files) {
  const text = readFileSync(file, 'utf8').trim();
  let out;
  try {
    out = text.startsWith('{') ?
      await verifyDataIntegrity(JSON.parse(text)) : await verifyJwt(text);
  } catch(e) {
    out = {verified: false, revoked: null, error: e.message};
  }
  console.log(JSON.stringify({file, ...out}));
}

// A real OpenID Connect provider (panva/oidc-provider) standing in for the national eID in tests.
// Usage: node tests/oidc/provider.mjs <port>   (or PORT=<port>); listens on 127.0.0.1 only.
// Development interactions are on: any login/password signs in, and the login is the account id.
// Account "nopin" has no PIN claim; every other account has the PIN below.
// The login is at the level (acr) the relying party asked for, except for account "password-only",
// which always signs in at "urn:kg:eid:password" (an eID that ignores what was asked).
import { generateKeyPairSync } from 'node:crypto';

import Provider from 'oidc-provider';

const port = Number(process.argv[2] || process.env.PORT || 0);
if (!port) {
  console.error('usage: node provider.mjs <port>');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;
const redirectUri = process.env.EID_TEST_REDIRECT_URI || 'http://127.0.0.1:3000/eid/callback';
export const PIN = '11503199000123';

const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ format: 'jwk' });

const client = (clientId, secret) => ({
  client_id: clientId,
  client_secret: secret,
  redirect_uris: [redirectUri],
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
  id_token_signed_response_alg: 'RS256',
});

const provider = new Provider(issuer, {
  clients: [
    client('remote-vote', 'remote-vote-secret'),
    // A second relying party: its ID tokens must not be accepted by the first one.
    client('other-rp', 'other-rp-secret'),
  ],
  jwks: { keys: [{ ...signingKey, kid: 'test-key-1', use: 'sig', alg: 'RS256' }] },
  pkce: { required: () => true },
  acrValues: ['urn:kg:eid:esignature', 'urn:kg:eid:password'],
  claims: { openid: ['sub', 'pin'] },
  // Put the scope's claims (the PIN) into the ID token, not only into userinfo.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['test-only-cookie-key'] },
  async findAccount(ctx, sub) {
    return {
      accountId: sub,
      async claims() {
        return sub === 'nopin' ? { sub } : { sub, pin: PIN };
      },
    };
  },
});

// Dev interactions record no acr: add it to every finished login.
const finish = provider.interactionFinished.bind(provider);
provider.interactionFinished = async (req, res, result, options) => {
  if (result.login) {
    const { params } = await provider.interactionDetails(req, res);
    const asked = String(params.acr_values || '').split(' ')[0] || 'urn:kg:eid:esignature';
    result.login.acr = result.login.accountId === 'password-only' ? 'urn:kg:eid:password' : asked;
  }
  return finish(req, res, result, options);
};

const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

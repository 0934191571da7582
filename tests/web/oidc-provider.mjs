// A real OpenID Provider for the sign-in tests: the npm package `oidc-provider` (an
// OpenID-certified implementation) on loopback, with one confidential client for veche
// (authorization code, PKCE required) and a few people. Its development login form takes
// any of their account ids, with any password.
//
//   node oidc-provider.mjs <port> <veche's redirect URI>
//
// Prints `listening <issuer>` once it answers.
import Provider from 'oidc-provider';

const [port, redirectUri] = [Number(process.argv[2]), process.argv[3]];
const issuer = `http://127.0.0.1:${port}`;

const people = {
  ann: { email: 'ann@example.org', email_verified: true, name: 'Ann Lee' },
  unverified: { email: 'mallory@example.org', email_verified: false, name: 'Mallory' },
};

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'veche',
      client_secret: 'veche-test-secret',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  pkce: { required: () => true },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  async findAccount(_, id) {
    if (!people[id]) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...people[id] }) };
  },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['a-key-for-tests-only'] },
});
// Plain HTTP on loopback is what a test has; the provider allows it for localhost.
provider.proxy = false;

provider.listen(port, '127.0.0.1', () => console.log(`listening ${issuer}`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));

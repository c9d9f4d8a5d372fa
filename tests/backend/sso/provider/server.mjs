// panva's oidc-provider with its default settings, for tests/backend/sso (real_provider.py).
// Only what a test client needs is set: the clients, accounts with an e-mail claim, and,
// for some tests, signing keys or the token endpoint's client authentications.
// Usage: node server.mjs '<options as JSON>'; prints "listening <issuer>" once it serves,
// and exits when its standard input closes, so it never outlives the test that started it.
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const options = JSON.parse(process.argv[2] ?? '{}');

const configuration = {
  clients: options.clients ?? [],
  // The claims of the `email` scope. The provider puts them in userinfo (OpenID Connect
  // Core 5.4), not in the ID token, when it issues an access token: its default.
  claims: { email: ['email', 'email_verified'] },
  async findAccount(_ctx, id) {
    const account = (options.accounts ?? {})[id];
    if (account === undefined) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...account }; } };
  },
};
if (options.jwks) configuration.jwks = options.jwks;
if (options.clientAuthMethods) configuration.clientAuthMethods = options.clientAuthMethods;

const server = createServer();
server.listen(options.port ?? 0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, configuration);
  // Tandem's callback carries the organisation's id, new in every test: a client may name
  // a pattern its redirect URIs must match, besides the URIs it registers.
  const patterns = Object.fromEntries(
    Object.entries(options.redirectUriPatterns ?? {}).map(([id, re]) => [id, new RegExp(re)]),
  );
  const registered = provider.Client.prototype.redirectUriAllowed;
  provider.Client.prototype.redirectUriAllowed = function redirectUriAllowed(uri) {
    return registered.call(this, uri) || patterns[this.clientId]?.test(uri) === true;
  };
  server.on('request', provider.callback());
  process.stdout.write(`listening ${issuer}\n`);
});

process.stdin.on('end', () => process.exit(0));
process.stdin.resume();

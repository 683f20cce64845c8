// A real OpenID Connect provider for the portal's sign-in tests: oidc-provider (certified), with its built-in
// development login and consent pages. Any login name works; these users carry groups claims.
//   PORT=4010 REDIRECT_URIS=http://127.0.0.1:5080/signin-oidc node server.mjs
import Provider from 'oidc-provider';

const port = Number(process.env.PORT ?? 4010);
const issuer = `http://127.0.0.1:${port}`;
const redirectUris = (process.env.REDIRECT_URIS ?? '').split(',').filter(Boolean);
const postLogoutUris = redirectUris.map((u) => u.replace(/\/signin-oidc$/, '/signout-callback-oidc'));

// Test people: a platform admin, two owners of different teams, a viewer.
const users = {
  alice: { email: 'alice@example.test', name: 'Alice Admin', groups: ['platform-admins'] },
  olivia: { email: 'olivia@example.test', name: 'Olivia Owner', groups: ['team-alpha-owners'] },
  oscar: { email: 'oscar@example.test', name: 'Oscar Owner', groups: ['team-beta-owners'] },
  victor: { email: 'victor@example.test', name: 'Victor Viewer', groups: ['team-alpha-viewers'] },
};

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.CLIENT_ID ?? 'unicron-portal',
    client_secret: process.env.CLIENT_SECRET ?? 'unicron-test-secret',
    redirect_uris: redirectUris,
    post_logout_redirect_uris: postLogoutUris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  pkce: { required: () => true },
  scopes: ['openid', 'profile', 'email', 'groups'],
  claims: { openid: ['sub'], profile: ['name'], email: ['email', 'email_verified'], groups: ['groups'] },
  // Put the scope's claims (groups among them) into the id_token, not only the userinfo endpoint.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['unicron-test-only-cookie-key'] },
  async findAccount(ctx, id) {
    const user = users[id] ?? { email: `${id}@example.test`, name: id, groups: [] };
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: user.email, email_verified: true, name: user.name, groups: user.groups };
      },
    };
  },
});

provider.listen(port, '127.0.0.1', () => console.log(`oidc-provider ready at ${issuer}`));

// Loopback JWT issuer for the API tests. Usage: node server.mjs PORT
// Each token request may set the subject, e-mail, name, groups and audience through form fields of the same names,
// so one issuer serves every test. Prints "ready" once it listens.
import { OAuth2Server } from 'oauth2-mock-server';

const port = Number(process.argv[2]);
const server = new OAuth2Server();
await server.issuer.keys.generate('RS256');
server.issuer.url = `http://127.0.0.1:${port}`;

server.service.on('beforeTokenSigning', (token, req) => {
  const body = req.body ?? {};
  if (body.sub) token.payload.sub = body.sub;
  if (body.email) token.payload.email = body.email;
  if (body.name) token.payload.name = body.name;
  if (body.groups !== undefined) token.payload.groups = body.groups === '' ? [] : String(body.groups).split(',');
  token.payload.aud = body.audience ?? 'unicron-portal-api';
  if (body.expires_in_seconds) token.payload.exp = Math.floor(Date.now() / 1000) + Number(body.expires_in_seconds);
});

await server.start(port, '127.0.0.1');
console.log('ready');

global using System.Net;
global using Portal.Api.Tests.Infrastructure;

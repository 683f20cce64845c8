# syntax=docker/dockerfile:1
# Multi-stage build of the portal host (web UI + API + workers in one process; Portal:Roles splits them).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first, from the project files only, so the package layer is cached across code changes.
COPY global.json Directory.Build.props Directory.Packages.props Unicron.Portal.sln ./
COPY src/Portal.Core/Portal.Core.csproj src/Portal.Core/
COPY src/Portal.Api/Portal.Api.csproj src/Portal.Api/
COPY src/Portal.Web/Portal.Web.csproj src/Portal.Web/
COPY src/Portal.Emulator/Portal.Emulator.csproj src/Portal.Emulator/
COPY src/Portal.Migrations.Postgres/Portal.Migrations.Postgres.csproj src/Portal.Migrations.Postgres/
COPY src/Portal.Migrations.Sqlite/Portal.Migrations.Sqlite.csproj src/Portal.Migrations.Sqlite/
RUN dotnet restore src/Portal.Web/Portal.Web.csproj
COPY src/ src/
COPY catalog/ catalog/
RUN dotnet publish src/Portal.Web/Portal.Web.csproj -c Release --no-restore -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
# The image's non-root user; /app/data holds Data Protection keys (mount a shared volume when running several copies).
RUN mkdir -p /app/data/keys && chown -R $APP_UID /app/data
USER $APP_UID
ENV ASPNETCORE_ENVIRONMENT=Production \
    ASPNETCORE_HTTP_PORTS=8080 \
    ForwardedHeaders__Enabled=true
EXPOSE 8080
ENTRYPOINT ["dotnet", "Portal.Web.dll"]

# A cpu silo: hosts everything but trainers (experiments, catalog, shards, answers) and serves the dashboard.
# Build from the repository root:  docker build -f deploy/docker/silo-cpu.Dockerfile -t pastanoodles-silo-cpu .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish Silo/Silo.csproj -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
# Settings are SiloOptions (Silo/SiloOptions.cs), as Silo__<Property> variables; compose.yaml and k8s/ set the cluster ones, the
# certificates, and the dashboard (https://0.0.0.0:8080, which needs the certificates: the dashboard is off without them).
ENV Silo__Role=cpu \
    Silo__DataDirectory=/data \
    Silo__ArtifactsDirectory=/artifacts \
    Silo__SiloPort=11111 \
    Silo__GatewayPort=30000 \
    Silo__DashboardUrl=
VOLUME ["/data", "/artifacts"]
EXPOSE 11111 30000 8080
ENTRYPOINT ["dotnet", "Pastanoodles.Silo.dll"]

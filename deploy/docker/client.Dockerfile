# The `pastanoodles` console. Run it on the cluster's network (it connects to the silos' advertised addresses):
#   docker compose -f deploy/compose.yaml run --rm client experiment list
# Build from the repository root:  docker build -f deploy/docker/client.Dockerfile -t pastanoodles-client .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish Client/Client.csproj -c Release -o /app

FROM mcr.microsoft.com/dotnet/runtime:10.0
WORKDIR /work
COPY --from=build /app /app
# Every cluster command reads the cluster from --cluster or this variable.
ENV PASTANOODLES_CLUSTER=redis://redis:6379
ENTRYPOINT ["dotnet", "/app/pastanoodles.dll"]

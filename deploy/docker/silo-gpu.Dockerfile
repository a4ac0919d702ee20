# A gpu silo: hosts trainers, one run per CUDA device at a time.
# Build from the repository root:  docker build -f deploy/docker/silo-gpu.Dockerfile -t pastanoodles-silo-gpu .
#
# TorchSharp needs libtorch built for CUDA: `-p:TorchBackend=cuda` swaps the libtorch-cpu-linux-x64 package for
# libtorch-cuda-12.8-linux-x64 (Grains/Grains.csproj). That package carries the CUDA runtime, cuBLAS and cuDNN itself, so the
# image needs no CUDA toolkit: only the host's NVIDIA driver, passed in by the NVIDIA Container Toolkit
# (`docker run --gpus all`, compose `deploy.resources.reservations.devices`, Kubernetes `nvidia.com/gpu` limits).
# The silo logs "CUDA found" and trains on every cuda:N it sees; with no driver it logs "no CUDA device" and trains on the CPU.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish Silo/Silo.csproj -c Release -o /app -p:TorchBackend=cuda

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
ENV NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility \
    Silo__Role=gpu \
    Silo__DataDirectory=/data \
    Silo__ArtifactsDirectory=/artifacts \
    Silo__SiloPort=11111 \
    Silo__GatewayPort=30000 \
    Silo__DashboardUrl=
VOLUME ["/data", "/artifacts"]
EXPOSE 11111 30000
ENTRYPOINT ["dotnet", "Pastanoodles.Silo.dll"]

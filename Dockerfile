# WebGen's web app in a container. The CUDA build of libtorch is the default here, since compose.yaml reserves a GPU;
# build with --build-arg TORCH_BACKEND=cpu for a CPU-only image.
ARG TORCH_BACKEND=cuda

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG TORCH_BACKEND
WORKDIR /src
COPY . .
RUN dotnet publish WebApp/WebApp.csproj -c Release -o /app -p:TorchBackend=${TORCH_BACKEND} \
 && cp -r wwwroot-assets /app/wwwroot-assets

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS app
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl libgomp1 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app .
# Listening on every interface: class mode (sign-in, roles, limits), never single mode, which has no login.
ENV ASPNETCORE_URLS=http://+:8080 \
    WebGen__Mode=class \
    WebGen__DataFolder=/var/lib/webgen/data \
    WebGen__RunsFolder=/var/lib/webgen/runs \
    WebGen__AssetsFolder=/app/wwwroot-assets \
    ConnectionStrings__Runs="Data Source=/var/lib/webgen/webgen.db"
VOLUME /var/lib/webgen
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s CMD curl -fsS http://localhost:8080/healthz || exit 1
ENTRYPOINT ["dotnet", "WebGen.WebApp.dll"]

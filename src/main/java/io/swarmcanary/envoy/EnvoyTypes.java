package io.swarmcanary.envoy;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.util.JsonFormat;
import java.util.List;

/**
 * The typed_config types the validator can read: all the generator emits, plus what an edge
 * template commonly adds (TLS, access logs, CORS, compression, rate limits...). Adding a message
 * also adds every type of its .proto file and of the files it imports.
 */
final class EnvoyTypes {
    static final List<Descriptor> KNOWN = List.of(
            // emitted by the generator
            io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.getDescriptor(),
            io.envoyproxy.envoy.extensions.filters.http.router.v3.Router.getDescriptor(),
            io.envoyproxy.envoy.extensions.access_loggers.stream.v3.StdoutAccessLog.getDescriptor(),
            io.envoyproxy.envoy.extensions.resource_monitors.fixed_heap.v3.FixedHeapConfig.getDescriptor(),
            io.envoyproxy.envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig.getDescriptor(),
            io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate.getDescriptor(),
            io.envoyproxy.envoy.extensions.clusters.dns.v3.DnsCluster.getDescriptor(),
            io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication.getDescriptor(),
            // common in user templates
            io.envoyproxy.envoy.extensions.access_loggers.file.v3.FileAccessLog.getDescriptor(),
            io.envoyproxy.envoy.extensions.resource_monitors.cpu_utilization.v3.CpuUtilizationConfig.getDescriptor(),
            io.envoyproxy.envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig.getDescriptor(),
            io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext.getDescriptor(),
            io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext.getDescriptor(),
            io.envoyproxy.envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer.getDescriptor(),
            io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions.getDescriptor(),
            io.envoyproxy.envoy.extensions.network.dns_resolver.cares.v3.CaresDnsResolverConfig.getDescriptor(),
            io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector.getDescriptor(),
            io.envoyproxy.envoy.extensions.filters.listener.proxy_protocol.v3.ProxyProtocol.getDescriptor(),
            io.envoyproxy.envoy.extensions.filters.listener.original_dst.v3.OriginalDst.getDescriptor(),
            io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.getDescriptor(),
            io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.getDescriptor(),
            io.envoyproxy.envoy.extensions.filters.http.cors.v3.Cors.getDescriptor(),
            io.envoyproxy.envoy.extensions.filters.http.compressor.v3.Compressor.getDescriptor(),
            io.envoyproxy.envoy.extensions.compression.gzip.compressor.v3.Gzip.getDescriptor(),
            io.envoyproxy.envoy.extensions.filters.http.health_check.v3.HealthCheck.getDescriptor(),
            io.envoyproxy.envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit.getDescriptor(),
            io.envoyproxy.envoy.extensions.filters.http.buffer.v3.Buffer.getDescriptor(),
            io.envoyproxy.envoy.extensions.filters.http.lua.v3.Lua.getDescriptor(),
            io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.getDescriptor(),
            io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz.getDescriptor(),
            io.envoyproxy.envoy.extensions.filters.http.header_mutation.v3.HeaderMutation.getDescriptor());

    static final JsonFormat.TypeRegistry REGISTRY = JsonFormat.TypeRegistry.newBuilder().add(KNOWN).build();

    private EnvoyTypes() {}
}

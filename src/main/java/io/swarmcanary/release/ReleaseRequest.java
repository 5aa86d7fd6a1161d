package io.swarmcanary.release;

import io.swarmcanary.UserInputException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/** A validated request for one release of a track. Construction fails on bad input, before any cluster call. */
public record ReleaseRequest(
        Track track,
        String version,
        String image,
        int replicas,
        int port,
        List<String> domains,
        List<String> networks,
        List<SecretSource> secrets,
        List<String> env,
        String healthCmd,
        Duration healthStartPeriod,
        List<String> constraints,
        Duration timeout,
        boolean checkImage,
        String edge,
        ReleaseOptions options) {

    /** Host names with an optional port; '_' is allowed because people use it in test hosts (proxy_test). */
    public static final Pattern DOMAIN = Pattern.compile(
            "(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*(:[0-9]{1,5})?");
    private static final Pattern ENV_KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_.]*");
    private static final Pattern NETWORK = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");
    private static final Pattern IMAGE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/:@-]*");

    public ReleaseRequest {
        domains = List.copyOf(domains);
        networks = List.copyOf(networks);
        secrets = List.copyOf(secrets);
        env = List.copyOf(env);
        constraints = List.copyOf(constraints);
        options = options == null ? ReleaseOptions.NONE : options;
        serviceName(track, version); // validates version and the resulting name
        if (image == null || image.isBlank()) {
            throw new UserInputException("--image is required");
        }
        if (!IMAGE.matcher(image).matches()) {
            throw new UserInputException("invalid --image '" + Names.printable(image) + "'");
        }
        if (replicas < 1) {
            throw new UserInputException("--replicas must be at least 1, got " + replicas);
        }
        if (port < 1 || port > 65535) {
            throw new UserInputException("--port must be between 1 and 65535, got " + port);
        }
        List<String> normalized = new java.util.ArrayList<>();
        for (String d : domains) {
            // a trailing dot (fully qualified) and upper case name the same host: stored and compared in one form
            String normal = d == null ? null : DomainNames.normalize(d);
            if (normal == null || !DOMAIN.matcher(normal).matches() || portOf(normal) > 65535) {
                throw new UserInputException("invalid --domain '" + Names.printable(d)
                        + "': expected a host name with an optional :port, e.g. files.example.com or files.example.com:10000");
            }
            if (DomainNames.isReserved(normal)) {
                throw new UserInputException("--domain " + normal + " is reserved: every edge answers "
                        + DomainNames.RESERVED.stream().sorted().toList() + " itself (the smoke test and the stats host)."
                        + " Choose another host name. Nothing was changed.");
            }
            normalized.add(normal);
        }
        domains = List.copyOf(normalized);
        if (new HashSet<>(domains).size() != domains.size()) {
            throw new UserInputException("--domain lists the same domain twice");
        }
        for (String n : networks) {
            if (!NETWORK.matcher(n).matches()) {
                throw new UserInputException("invalid --network '" + Names.printable(n) + "'");
            }
        }
        if (new HashSet<>(networks).size() != networks.size()) {
            throw new UserInputException("--network lists the same network twice");
        }
        Set<String> secretNames = new HashSet<>();
        for (SecretSource s : secrets) {
            if (!secretNames.add(s.name())) {
                throw new UserInputException("secret '" + s.name() + "' is given twice; each secret name may appear once");
            }
        }
        for (String e : env) {
            int eq = e.indexOf('=');
            if (eq <= 0 || !ENV_KEY.matcher(e.substring(0, eq)).matches()) {
                throw new UserInputException("invalid --env '" + Names.printable(e.length() > 40 ? e.substring(0, 40) + "..." : e)
                        + "': expected KEY=VALUE with KEY made of letters, digits and '_'");
            }
        }
        for (String c : constraints) {
            if (!c.matches("[A-Za-z0-9_.-]+\\s*(==|!=)\\s*[A-Za-z0-9_.:/-]+")) {
                throw new UserInputException("invalid --constraint '" + Names.printable(c)
                        + "': expected e.g. node.role==worker or node.labels.zone!=b");
            }
        }
        if (healthStartPeriod != null && (healthCmd == null || healthCmd.isBlank())) {
            throw new UserInputException("--health-start-period needs --health-cmd");
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new UserInputException("--timeout must be positive");
        }
    }

    /** A release from flags only. */
    public ReleaseRequest(Track track, String version, String image, int replicas, int port, List<String> domains,
                          List<String> networks, List<SecretSource> secrets, List<String> env, String healthCmd,
                          Duration healthStartPeriod, List<String> constraints, Duration timeout, boolean checkImage, String edge) {
        this(track, version, image, replicas, port, domains, networks, secrets, env, healthCmd, healthStartPeriod,
                constraints, timeout, checkImage, edge, ReleaseOptions.NONE);
    }

    private static int portOf(String domain) {
        int colon = domain.lastIndexOf(':');
        return colon < 0 ? 0 : Integer.parseInt(domain.substring(colon + 1));
    }

    private static String serviceName(Track track, String version) {
        String name = Names.serviceName(track, version);
        for (String suffix : Names.RESERVED_SUFFIXES) {
            if (name.endsWith(suffix)) {
                throw new io.swarmcanary.UserInputException("release name '" + name + "' ends with '" + suffix + "', which"
                        + " names a canary's extra cluster on the edge (forcing, mirroring): deploy under another --version");
            }
        }
        return name;
    }

    /** The same request attached to one more network (the edge's). */
    public ReleaseRequest withNetwork(String network) {
        List<String> nets = new java.util.ArrayList<>(networks);
        nets.add(network);
        return new ReleaseRequest(track, version, image, replicas, port, domains, nets, secrets, env, healthCmd,
                healthStartPeriod, constraints, timeout, checkImage, edge, options);
    }

    public String serviceName() {
        return Names.serviceName(track, version);
    }
}

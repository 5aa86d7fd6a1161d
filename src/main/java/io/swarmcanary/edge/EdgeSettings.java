package io.swarmcanary.edge;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.swarmcanary.UserInputException;
import java.util.List;

/**
 * How the edge service runs, as the user asked for it with {@code edge ensure}. Stored as a label on the
 * edge, so later commands rebuild the spec from it instead of re-sending a spec read back from Docker.
 *
 * @param templateConfig name of the Swarm config holding the user's bootstrap template, or null
 * @param delivery       how a new route table reaches Envoy: {@value #REDEPLOY} or {@value #XDS}; null in a
 *                       request means "keep the edge's, redeploy for a new one"
 * @param xds            the control plane of an xds edge, null for redeploy
 * @param forceCanary    whether a request with a valid token for a track ({@code swarm-canary canary-token}) reaches
 *                       its canary whatever the weights; off unless the user turns it on; null in a request means
 *                       "keep the edge's"
 * @param https          the edge's certificates and HTTPS listener, null while it has none (plain HTTP only)
 */
public record EdgeSettings(String name, String image, int port, List<String> networks, List<String> constraints,
                           String templateConfig, String delivery, Xds xds, Boolean forceCanary,
                           @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL) Https https) {
    public static final int LISTENER_PORT = 10000;
    /** The HTTPS listener's port inside the Envoy container; --tls-port is published onto it. */
    public static final int TLS_LISTENER_PORT = 10443;
    public static final String REDEPLOY = "redeploy";
    public static final String XDS = "xds";

    /**
     * The control plane's Swarm service: its image (the swarm-canary CLI image). It publishes no port: commands read
     * what every Envoy has ACKed through the edge's stats host. An edge stored by an older version also has a
     * {@code statusPort} (then published on the manager): ignored, and gone at its next {@code edge ensure}.
     *
     * @param pki the generation of ADS certificates ({@link AdsPki}) its Envoys and control plane authenticate each other
     *            with; null on an edge made by a version without them (plaintext ADS until its next {@code edge ensure})
     * @param sds whether its control plane serves the HTTPS certificates over SDS: true once an {@code edge ensure} of a
     *            version that has it set the control plane; null on an edge stored before (its control plane may not
     *            know {@code --sds}: certificates stay files in Envoy until the image is set again)
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Xds(String image,
                      @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                      String pki,
                      @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                      Boolean sds) {
        public Xds {
            if (image == null || image.isBlank()) {
                throw new UserInputException("--control-plane-image must not be empty");
            }
        }

        /** A control plane as asked for: {@code edge ensure} gives it its ADS certificates and says whether it serves SDS. */
        public Xds(String image) {
            this(image, null, null);
        }

        /** A control plane of this version (it serves certificates over SDS) on this generation of ADS certificates. */
        public Xds(String image, String pki) {
            this(image, pki, true);
        }

        /** The same control plane on this generation of ADS certificates. */
        public Xds withPki(String generation) {
            return new Xds(image, generation, sds);
        }

        public boolean servesCertificates() {
            return Boolean.TRUE.equals(sds);
        }
    }

    /**
     * HTTPS at the edge: one certificate per domain, each a pair of content-addressed Swarm secrets (HMAC-named with the
     * cluster's naming key, so a name says nothing about the key), served by SNI on {@code port}.
     *
     * @param certificates  domain (lower case, maybe {@code *.example.com}) -> its secrets, sorted
     * @param redirect      whether the plain listener answers with a redirect to https (on unless the user turns it off)
     * @param hstsMaxAge    seconds of Strict-Transport-Security sent over HTTPS; null sends none (opt-in)
     * @param defaultDomain the domain whose certificate answers clients without SNI (or with a name no certificate
     *                      covers); null: they get no handshake (opt-in)
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Https(int port, java.util.SortedMap<String, Certificate> certificates, boolean redirect, Long hstsMaxAge,
                        @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                        String defaultDomain) {
        public static final int DEFAULT_PORT = 443;

        public Https(int port, java.util.SortedMap<String, Certificate> certificates, boolean redirect, Long hstsMaxAge) {
            this(port, certificates, redirect, hstsMaxAge, null);
        }

        public Https {
            certificates = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(certificates));
            if (port < 1 || port > 65535) {
                throw new UserInputException("--tls-port must be between 1 and 65535, got " + port);
            }
            if (hstsMaxAge != null && hstsMaxAge < 0) {
                throw new UserInputException("--hsts must be 0 or more seconds, got " + hstsMaxAge);
            }
        }
    }

    /** The Swarm secrets holding one domain's certificate chain and key (names only: nothing secret). */
    public record Certificate(String certSecret, String keySecret) {}

    public EdgeSettings(String name, String image, int port, List<String> networks, List<String> constraints,
                        String templateConfig, String delivery, Xds xds, Boolean forceCanary) {
        this(name, image, port, networks, constraints, templateConfig, delivery, xds, forceCanary, null);
    }

    public EdgeSettings(String name, String image, int port, List<String> networks, List<String> constraints,
                        String templateConfig, String delivery) {
        this(name, image, port, networks, constraints, templateConfig, delivery, null);
    }

    public EdgeSettings(String name, String image, int port, List<String> networks, List<String> constraints,
                        String templateConfig, String delivery, Xds xds) {
        this(name, image, port, networks, constraints, templateConfig, delivery, xds, null);
    }
    private static final ObjectMapper JSON = new ObjectMapper();

    public EdgeSettings {
        networks = List.copyOf(networks);
        constraints = List.copyOf(constraints);
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9_-]{0,40}")) {
            throw new UserInputException("invalid --edge '" + name + "': letters, digits, '_' and '-', at most 41 characters");
        }
        if (port < 1 || port > 65535) {
            throw new UserInputException("--port must be between 1 and 65535, got " + port);
        }
        if (delivery != null && !delivery.equals(REDEPLOY) && !delivery.equals(XDS)) {
            throw new UserInputException("invalid --delivery '" + delivery + "': " + REDEPLOY + " (a new config restarts"
                    + " the Envoy tasks) or " + XDS + " (a control plane pushes it, no restart)");
        }
        if (https != null && https.port() == port) {
            throw new UserInputException("--tls-port " + https.port() + " is --port too: give HTTPS its own port. Nothing was changed.");
        }
        if (XDS.equals(delivery) && xds == null) {
            throw new UserInputException("delivery xds needs its control plane settings (image)");
        }
    }

    /** Forcing the canary with a token is on (an edge stored before the setting existed has it off). */
    public boolean forcesCanary() {
        return Boolean.TRUE.equals(forceCanary);
    }

    public EdgeSettings withForceCanary(Boolean on) {
        return new EdgeSettings(name, image, port, networks, constraints, templateConfig, delivery, xds, on, https);
    }

    /** Whether the edge serves HTTPS: it has at least one certificate. */
    public boolean servesHttps() {
        return https != null && !https.certificates().isEmpty();
    }

    public boolean usesXds() {
        return XDS.equals(delivery);
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static EdgeSettings fromJson(String json) {
        try {
            return JSON.readValue(json, EdgeSettings.class);
        } catch (Exception e) {
            throw new IllegalStateException("the edge's settings label does not parse: " + e.getMessage(), e);
        }
    }

    public EdgeSettings withTemplate(String config) {
        return new EdgeSettings(name, image, port, networks, constraints, config, delivery, xds, forceCanary, https);
    }

    public EdgeSettings withDelivery(String newDelivery, Xds newXds) {
        return new EdgeSettings(name, image, port, networks, constraints, templateConfig, newDelivery, newXds, forceCanary, https);
    }

    public EdgeSettings withHttps(Https newHttps) {
        return new EdgeSettings(name, image, port, networks, constraints, templateConfig, delivery, xds, forceCanary, newHttps);
    }
}

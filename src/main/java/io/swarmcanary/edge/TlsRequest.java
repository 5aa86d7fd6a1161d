package io.swarmcanary.edge;

import io.swarmcanary.UserInputException;
import java.util.List;

/**
 * What an {@code edge ensure} asks of the edge's HTTPS; every null keeps what the edge has, so a re-run without TLS
 * options changes nothing.
 *
 * @param add      certificates read and checked, to serve (a domain the edge has already gets the new one: rotation)
 * @param remove   domains whose certificate the edge stops serving ({@code --tls-remove}); an absent one is no change
 * @param port     --tls-port
 * @param redirect --https-redirect / --no-https-redirect
 * @param hsts     --hsts: max-age seconds, {@link #HSTS_OFF} to stop sending it
 * @param defaultDomain --tls-default: the domain answering clients without SNI, {@link #DEFAULT_OFF} for none
 */
public record TlsRequest(List<TlsCertificates.Loaded> add, List<String> remove, Integer port, Boolean redirect, Long hsts,
                         String defaultDomain) {
    public static final long HSTS_OFF = -1;
    public static final String DEFAULT_OFF = "off";
    public static final TlsRequest KEEP = new TlsRequest(List.of(), List.of(), null, null, null, null);

    public TlsRequest(List<TlsCertificates.Loaded> add, List<String> remove, Integer port, Boolean redirect, Long hsts) {
        this(add, remove, port, redirect, hsts, null);
    }

    public TlsRequest {
        defaultDomain = defaultDomain == null || defaultDomain.equals(DEFAULT_OFF) ? defaultDomain : TlsCertificates.domain(defaultDomain);
        add = List.copyOf(add);
        remove = remove.stream().map(TlsCertificates::domain).toList();
        for (TlsCertificates.Loaded l : add) {
            if (remove.contains(l.domain())) {
                throw new UserInputException(l.domain() + " is both in --tls and --tls-remove. Nothing was changed.");
            }
        }
    }

    /** Whether an option other than the certificates themselves was given. */
    boolean tunes() {
        return port != null || redirect != null || hsts != null || (defaultDomain != null && !defaultDomain.equals(DEFAULT_OFF));
    }
}

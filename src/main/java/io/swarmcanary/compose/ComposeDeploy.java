package io.swarmcanary.compose;

import io.swarmcanary.UserInputException;
import io.swarmcanary.release.ReleaseRequest;
import io.swarmcanary.release.SecretSource;
import io.swarmcanary.release.Track;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * {@code deploy --compose}: the release the file describes, with the flags given on the command line laid over it.
 * Precedence: a flag given replaces the file's value (image, replicas, port, healthcheck); --env KEY=VALUE and
 * --secret NAME=... replace the file's entry of the same name; --network and --constraint add to the file's.
 */
public record ComposeDeploy(ComposeFile file, String service, ComposeRelease release) {

    /** @param service null: the service named like the app, or the file's only service */
    public static ComposeDeploy of(Path composeFile, String service, String app, String stack, Map<String, String> environment) {
        ComposeFile file = ComposeFile.load(composeFile, environment);
        String name = service != null ? service : defaultService(file, app);
        return new ComposeDeploy(file, name, ComposeRelease.of(file, name, stack, environment));
    }

    static String defaultService(ComposeFile file, String preferred) {
        List<String> names = file.serviceNames();
        if (preferred != null && names.contains(preferred)) {
            return preferred;
        }
        if (names.size() == 1) {
            return names.get(0);
        }
        throw new UserInputException(file.path() + " has " + (names.isEmpty() ? "no services" : "the services "
                + String.join(", ", names)) + "; choose one with --service NAME. Nothing was changed.");
    }

    /** @param replicas, port null when not given on the command line */
    public ReleaseRequest request(Track track, String version, String image, Integer replicas, Integer port,
                                  List<String> domains, List<String> networks, List<SecretSource> secrets, List<String> env,
                                  String healthCmd, Duration healthStartPeriod, List<String> constraints, Duration timeout,
                                  boolean checkImage, String edge) {
        String theImage = image != null ? image : release.image();
        if (theImage == null) {
            throw new UserInputException("service '" + service + "' in " + file.path() + " has no image: add 'image:' to it"
                    + " or pass --image. Nothing was changed.");
        }
        Map<String, String> vars = new LinkedHashMap<>();
        for (String e : release.env()) {
            vars.put(e.substring(0, e.indexOf('=')), e);
        }
        for (String e : env) {
            int eq = e.indexOf('=');
            vars.put(eq < 0 ? e : e.substring(0, eq), e);
        }
        Map<String, SecretSource> allSecrets = new LinkedHashMap<>();
        release.secrets().forEach(s -> allSecrets.put(s.name(), s));
        secrets.forEach(s -> allSecrets.put(s.name(), s));
        LinkedHashSet<String> allNetworks = new LinkedHashSet<>(release.networks());
        allNetworks.addAll(networks);
        LinkedHashSet<String> allConstraints = new LinkedHashSet<>(release.constraints());
        allConstraints.addAll(constraints);
        return new ReleaseRequest(track, version, theImage,
                replicas != null ? replicas : release.replicas() != null ? release.replicas() : 1,
                port != null ? port : release.port() != null ? release.port() : 80,
                domains, new ArrayList<>(allNetworks), new ArrayList<>(allSecrets.values()), new ArrayList<>(vars.values()),
                healthCmd, healthStartPeriod, new ArrayList<>(allConstraints), timeout, checkImage, edge, release.options());
    }
}

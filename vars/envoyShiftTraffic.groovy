import com.cloudbees.groovy.cps.NonCPS

/*
 * Moves a track's traffic between its releases by weight (swarm-canary shift), sends an A/B audience to its canary
 * (swarm-canary route) or mirrors a share of its traffic there (swarm-canary mirror), and returns the CLI's JSON result.
 * A shift can also keep each client on the release the weights chose for it (sticky, swarm-canary shift --sticky).
 * Parameters are checked here first, so a typo fails the build before anything touches the edge.
 */

@groovy.transform.Field
static final Set<String> PARAMETERS = ['app', 'env', 'weight', 'weights', 'match', 'clearMatch', 'mirrorPercent', 'edge',
        'dockerHost', 'dockerCredentialsId', 'events', 'sticky', 'stickyCookie', 'stickyTtl'] as Set

/** Exactly one of these says what the step does. */
@groovy.transform.Field
static final List<String> ACTIONS = Collections.unmodifiableList(['weight', 'weights', 'match', 'clearMatch', 'mirrorPercent'])

def call(Map config = [:]) {
    config = swarmCanaryConfig.withDefaults(config, ['dockerHost', 'dockerCredentialsId', 'edge']) // the shared configuration: vars/swarmCanaryConfig
    List<String> args
    try {
        args = shiftArgs(config)
    } catch (Exception e) {
        error "envoyShiftTraffic: ${e.message}"
    }
    return swarmCanaryExecute(verb: verbOf(config), args: args,
            dockerHost: config.dockerHost, dockerCredentialsId: config.dockerCredentialsId)
}

/** shift for weights, route for an A/B match, mirror for mirroring. */
@NonCPS
static String verbOf(Map config) {
    if (config.match != null || config.clearMatch) {
        return 'route'
    }
    return config.mirrorPercent != null ? 'mirror' : 'shift'
}

/** The CLI arguments for shift; an Exception says what is wrong with the parameters. */
@NonCPS
static List<String> shiftArgs(Map config) {
    def unknown = config.keySet().findAll { !(it in PARAMETERS) }
    if (unknown) {
        throw new Exception("unknown parameter(s) ${unknown.sort()}; known: ${PARAMETERS.sort()}")
    }
    ['app', 'env'].each { name ->
        if (!(config[name] instanceof CharSequence) || !config[name].toString().trim()) {
            throw new Exception("'${name}' is required, e.g. envoyShiftTraffic(app: 'files', env: 'webdev', weight: 25)")
        }
    }
    List<String> given = ACTIONS.findAll { config[it] != null && config[it] != false }
    if (given.size() != 1) {
        throw new Exception("give either 'weight' (the canary's share, 0-100) or 'weights' (a map version: weight), or 'match' " +
                "(A/B: a list such as ['header:x-beta=1']), 'clearMatch: true' or 'mirrorPercent' (0 stops mirroring), not " +
                (given ? 'both ' + given.join(' and ') : 'neither'))
    }
    boolean hasWeight = given[0] == 'weight'
    List<String> args = ['--app', config.app.toString(), '--env', config.env.toString()]
    if (given[0] == 'match') {
        args += matchArgs(config.match)
    } else if (given[0] == 'clearMatch') {
        if (config.clearMatch != true) {
            throw new Exception("'clearMatch' is true or absent; was '${config.clearMatch}'")
        }
        args << '--clear'
    } else if (given[0] == 'mirrorPercent') {
        int percent = wholeNumber('mirrorPercent', config.mirrorPercent)
        if (percent < 0 || percent > 100) {
            throw new Exception("'mirrorPercent' is the share of the traffic copied to the canary, 0-100 (0 stops mirroring); was ${percent}")
        }
        args += percent == 0 ? ['--off'] : ['--percent', percent.toString()]
    } else if (hasWeight) {
        int weight = wholeNumber('weight', config.weight)
        if (weight < 0 || weight > 100) {
            throw new Exception("'weight' is the canary's share in percent, 0-100; was ${weight}")
        }
        args += ['--weight', weight.toString()]
    } else {
        args += ['--weights', weightsArg(config.weights)]
    }
    args += stickyArgs(config, given[0] in ['weight', 'weights'])
    if (config.edge != null) {
        if (!(config.edge instanceof CharSequence) || !config.edge.toString().trim()) {
            throw new Exception("'edge' is the name of the Envoy service, e.g. 'envoy'; was '${config.edge}'")
        }
        args += ['--edge', config.edge.toString()]
    }
    if (config.events != null) { // the run's record for 'swarm-canary report': the change is appended to this file
        if (!(config.events instanceof CharSequence) || !config.events.toString().trim()) {
            throw new Exception("'events' is a file in the workspace the change is recorded in, e.g. 'swarm-canary-events.jsonl'; was '${config.events}'")
        }
        args += ['--events', config.events.toString()]
    }
    return args
}

/** --sticky [--cookie NAME] [--ttl DURATION] or --no-sticky, with a shift only; the CLI checks the name and the ttl. */
@NonCPS
static List<String> stickyArgs(Map config, boolean shifting) {
    if (config.sticky == null) {
        if (config.stickyCookie != null || config.stickyTtl != null) {
            throw new Exception("'stickyCookie' and 'stickyTtl' go with 'sticky: true'")
        }
        return []
    }
    if (!(config.sticky instanceof Boolean)) {
        throw new Exception("'sticky' is true (clients keep the release the weights chose for them) or false; was '${config.sticky}'")
    }
    if (!shifting) {
        throw new Exception("'sticky' goes with 'weight' or 'weights' (a shift)")
    }
    if (!config.sticky) {
        if (config.stickyCookie != null || config.stickyTtl != null) {
            throw new Exception("'stickyCookie' and 'stickyTtl' go with 'sticky: true'")
        }
        return ['--no-sticky']
    }
    List<String> args = ['--sticky']
    if (config.stickyCookie != null) {
        if (!(config.stickyCookie instanceof CharSequence) || !config.stickyCookie.toString().trim()) {
            throw new Exception("'stickyCookie' is the cookie's name, e.g. 'shop-v'; was '${config.stickyCookie}'")
        }
        args += ['--cookie', config.stickyCookie.toString()]
    }
    if (config.stickyTtl != null) {
        String ttl = config.stickyTtl.toString().trim()
        if (!(config.stickyTtl instanceof CharSequence || config.stickyTtl instanceof Integer) || !(ttl ==~ /\d+|(\d+[smhd])+/)) {
            throw new Exception("'stickyTtl' is how long a client keeps its version, e.g. '1h', '30m' or seconds; was '${config.stickyTtl}'")
        }
        args += ['--ttl', ttl]
    }
    return args
}

/** --match for each; the CLI checks each one's syntax (header names, RE2 regex) and refuses a bad one with exit 2. */
@NonCPS
static List<String> matchArgs(def match) {
    List matches = match instanceof CharSequence ? [match] : match instanceof List ? match : null
    if (!matches || matches.any { !(it instanceof CharSequence) || !it.toString().trim() }) {
        throw new Exception("'match' is a list of header:NAME=VALUE, header:NAME^=PREFIX, header:NAME~REGEX or cookie:NAME=VALUE " +
                "(all must hold), e.g. ['header:x-beta=1']; was ${match}")
    }
    List<String> args = []
    matches.each { args += ['--match', it.toString()] }
    return args
}

@NonCPS
private static String weightsArg(def weights) {
    if (!(weights instanceof Map) || weights.isEmpty()) {
        throw new Exception("'weights' is a map of version to weight, e.g. ['1.0.9': 75, '1.0.10': 25]; was ${weights}")
    }
    int total = 0
    List<String> pairs = weights.collect { version, value ->
        String v = version?.toString()?.trim()
        if (!v || v.contains(',') || v.contains('=')) {
            throw new Exception("'weights' has an invalid version '${version}'")
        }
        int weight = wholeNumber("weights['${v}']", value)
        if (weight < 0 || weight > 100) {
            throw new Exception("weights['${v}'] must be 0-100; was ${weight}")
        }
        total += weight
        "${v}=${weight}".toString()
    }
    if (total == 0) {
        throw new Exception("'weights' sum to 0: at least one release must get traffic")
    }
    return pairs.join(',')
}

@NonCPS
private static int wholeNumber(String name, def value) {
    if (value instanceof Integer || value instanceof Long || value instanceof Short) {
        return value as int
    }
    if (value instanceof CharSequence && value.toString().trim() ==~ /-?\d{1,9}/) {
        return value.toString().trim() as int
    }
    if (value instanceof Number && value == Math.floor(value as double)) {
        return value as int
    }
    throw new Exception("'${name}' must be a whole number; was '${value}'")
}

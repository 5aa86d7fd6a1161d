import com.cloudbees.groovy.cps.NonCPS

/*
 * The releases of every track, or of one (swarm-canary status): the CLI's JSON result, e.g. result.tracks[0].releases.
 */

@groovy.transform.Field
static final Set<String> PARAMETERS = ['app', 'env', 'edge', 'dockerHost', 'dockerCredentialsId'] as Set

def call(Map config = [:]) {
    config = swarmCanaryConfig.withDefaults(config, ['dockerHost', 'dockerCredentialsId', 'edge']) // the shared configuration: vars/swarmCanaryConfig
    List<String> args
    try {
        args = statusArgs(config)
    } catch (Exception e) {
        error "swarmCanaryStatus: ${e.message}"
    }
    return swarmCanaryExecute(verb: 'status', args: args,
            dockerHost: config.dockerHost, dockerCredentialsId: config.dockerCredentialsId)
}

@NonCPS
static List<String> statusArgs(Map config) {
    def unknown = config.keySet().findAll { !(it in PARAMETERS) }
    if (unknown) {
        throw new Exception("unknown parameter(s) ${unknown.sort()}; known: ${PARAMETERS.sort()}")
    }
    boolean hasApp = config.app?.toString()?.trim()
    boolean hasEnv = config.env?.toString()?.trim()
    if (hasApp != hasEnv) {
        throw new Exception("'app' and 'env' go together: give both to select one track, or neither for all tracks")
    }
    List<String> args = hasApp ? ['--app', config.app.toString(), '--env', config.env.toString()] : []
    if (config.edge != null) {
        if (!(config.edge instanceof CharSequence) || !config.edge.toString().trim()) {
            throw new Exception("'edge' is the name of the Envoy service, e.g. 'envoy'; was '${config.edge}'")
        }
        args += ['--edge', config.edge.toString()]
    }
    return args
}

import com.cloudbees.groovy.cps.NonCPS

/*
 * Puts a track's stable release back to all traffic and removes the canary (swarm-canary rollback); returns the CLI's JSON result.
 * After a promote it brings back the previous stable release kept at weight 0.
 */

@groovy.transform.Field
static final Set<String> PARAMETERS = ['app', 'env', 'edge', 'dockerHost', 'dockerCredentialsId'] as Set

def call(Map config = [:]) {
    config = swarmCanaryConfig.withDefaults(config, ['dockerHost', 'dockerCredentialsId', 'edge']) // the shared configuration: vars/swarmCanaryConfig
    List<String> args
    try {
        args = trackArgs(config)
    } catch (Exception e) {
        error "swarmCanaryRollback: ${e.message}"
    }
    return swarmCanaryExecute(verb: 'rollback', args: args,
            dockerHost: config.dockerHost, dockerCredentialsId: config.dockerCredentialsId)
}

@NonCPS
static List<String> trackArgs(Map config) {
    def unknown = config.keySet().findAll { !(it in PARAMETERS) }
    if (unknown) {
        throw new Exception("unknown parameter(s) ${unknown.sort()}; known: ${PARAMETERS.sort()}")
    }
    ['app', 'env'].each { name ->
        if (!(config[name] instanceof CharSequence) || !config[name].toString().trim()) {
            throw new Exception("'${name}' is required, e.g. swarmCanaryRollback(app: 'files', env: 'webdev')")
        }
    }
    List<String> args = ['--app', config.app.toString(), '--env', config.env.toString()]
    if (config.edge != null) {
        if (!(config.edge instanceof CharSequence) || !config.edge.toString().trim()) {
            throw new Exception("'edge' is the name of the Envoy service, e.g. 'envoy'; was '${config.edge}'")
        }
        args += ['--edge', config.edge.toString()]
    }
    return args
}

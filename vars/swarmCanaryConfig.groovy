import com.cloudbees.groovy.cps.NonCPS

/*
 * The library's shared configuration, as Piper has one: defaults for where the steps work (dockerHost,
 * dockerCredentialsId, edge, nodeLabel) from one place, the library resource io/swarmcanary/config.json, so an
 * application's Jenkinsfile names only its own things (app, env, version, image, domains, secrets ...).
 * A step's own parameter always wins over the default.
 */

@groovy.transform.Field
static final String RESOURCE = 'io/swarmcanary/config.json'

@groovy.transform.Field
static final Set<String> KEYS = ['dockerHost', 'dockerCredentialsId', 'edge', 'nodeLabel'] as Set

/** The application repository's file project() reads by default. */
@groovy.transform.Field
static final String PROJECT_FILE = '.swarm-canary.json'

/** This run's project defaults, once project() has read them: kept in the pipeline, not in a workspace (node hops). */
@groovy.transform.Field
Map projectDefaults = [:]


/** The defaults: the library resource's, under the project file's (project()). A bad resource is an error that names it. */
def call() {
    Map library
    try {
        library = defaultsOf(libraryResource(RESOURCE))
    } catch (Exception e) {
        error "swarmCanaryConfig: the library resource ${RESOURCE} is not valid: ${e.message}"
    }
    // project() keeps them in env.SWARM_CANARY_PROJECT_DEFAULTS too: Jenkins gives every script that names this variable its
    // own instance (the Jenkinsfile's is not the steps'), and env is what they all share
    String kept = env.SWARM_CANARY_PROJECT_DEFAULTS
    return library + (kept ? defaultsOf(kept) : projectDefaults)
}

/**
 * swarmCanaryConfig.project() inside a node, after the checkout: the application repository's defaults (the keys of the
 * library resource) for the rest of this run, over the library's; a step's own parameter still wins. JSON
 * (.swarm-canary.json, the default), or YAML (a file ending .yaml or .yml, read with readYaml). No file: no project
 * defaults, unless required: true.
 */
Map project(Map args = [:]) {
    String file = args.file ?: PROJECT_FILE
    if (!fileExists(file)) {
        if (args.required) {
            error "swarmCanaryConfig: the project file ${file} is not in the workspace (${pwd()})"
        }
        projectDefaults = [:]
        env.SWARM_CANARY_PROJECT_DEFAULTS = '{}'
        return projectDefaults
    }
    boolean yaml = file ==~ /.*\.ya?ml/
    def parsed = yaml ? readYaml(file: file) : null
    String text = yaml ? null : readFile(file: file, encoding: 'UTF-8')
    try {
        projectDefaults = yaml ? checked(parsed) : defaultsOf(text)
    } catch (Exception e) {
        error "swarmCanaryConfig: the project file ${file} is not valid: ${e.message}"
    }
    env.SWARM_CANARY_PROJECT_DEFAULTS = groovy.json.JsonOutput.toJson(projectDefaults)
    return projectDefaults
}

/** config, with the defaults for those of keys it does not give itself. */
Map withDefaults(Map config, List<String> keys) {
    return merged(config, call(), keys)
}

@NonCPS
static Map merged(Map config, Map defaults, List<String> keys) {
    Map result = [:] + config
    keys.each { key ->
        if (result[key] == null && defaults[key] != null) {
            result[key] = defaults[key]
        }
    }
    return result
}

/** Parses the resource into a plain map (JsonSlurper's own map is not serializable: it never leaves this method). */
@NonCPS
static Map defaultsOf(String text) {
    return checked(new groovy.json.JsonSlurper().parseText(text))
}

/** A parsed configuration (JSON or YAML) as a plain map of some of KEYS to non-empty texts. */
@NonCPS
static Map checked(def parsed) {
    if (!(parsed instanceof Map)) {
        throw new Exception("a JSON object of ${KEYS.sort()} is expected")
    }
    Map defaults = [:]
    parsed.each { key, value ->
        if (!(key in KEYS)) {
            throw new Exception("unknown key '${key}'; known: ${KEYS.sort()}")
        }
        if (value != null) {
            if (!(value instanceof CharSequence) || !value.toString().trim()) {
                throw new Exception("'${key}' must be non-empty text or null; was '${value}'")
            }
            defaults[key.toString()] = value.toString().trim()
        }
    }
    return defaults
}

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

/** The defaults: a map of some of KEYS to non-empty texts. A bad resource is an error that names it. */
def call() {
    try {
        return defaultsOf(libraryResource(RESOURCE))
    } catch (Exception e) {
        error "swarmCanaryConfig: the library resource ${RESOURCE} is not valid: ${e.message}"
    }
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
    def parsed = new groovy.json.JsonSlurper().parseText(text)
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

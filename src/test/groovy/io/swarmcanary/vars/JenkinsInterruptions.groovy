package io.swarmcanary.vars

/*
 * Stand-ins for what Jenkins throws when a build stops at an input, with the simple names Jenkins' own types have
 * (org.jenkinsci.plugins.workflow.steps.FlowInterruptedException and its causes of interruption), which is what the
 * steps go by: Jenkins' classes are not on Maven Central.
 */

class FlowInterruptedException extends RuntimeException {
    private static final long serialVersionUID = 1L

    private final List causes
    /** As under the Groovy sandbox, where FlowInterruptedException.getCauses is not on the whitelist. */
    boolean sandboxed

    FlowInterruptedException(Object... causes) {
        super((String) null)
        this.causes = causes as List
    }

    List getCauses() {
        if (sandboxed) {
            throw new RejectedAccessException('Scripts not permitted to use method org.jenkinsci.plugins.workflow.steps.FlowInterruptedException getCauses')
        }
        return causes
    }
}

/** What script-security throws for a call its whitelist does not allow (org.jenkinsci.plugins.scriptsecurity.sandbox.RejectedAccessException). */
class RejectedAccessException extends SecurityException {
    RejectedAccessException(String message) { super(message) }
}

/** hudson.model.User as far as the steps use it. Not serializable, like User: no program local may hold one across a step. */
class JenkinsUser {
    final String id

    JenkinsUser(String id) { this.id = id }

    String toString() { "User ${id}" }
}

/** Someone pressed Abort on the input (or, in older Jenkins, the timeout did it as user SYSTEM). Keeps the user's name, as Jenkins' does. */
class Rejection implements Serializable {
    private static final long serialVersionUID = 1L
    private final String userName

    Rejection(String userId) { userName = userId }

    JenkinsUser getUser() { userName == null ? null : new JenkinsUser(userName) }

    String getShortDescription() { "Rejected by ${user?.id}" }
}

/** The timeout step stopped the body. */
class ExceededTimeout implements Serializable {
    private static final long serialVersionUID = 1L

    String getShortDescription() { 'Timeout has been exceeded' }
}

/** Someone aborted the whole build. */
class UserInterruption implements Serializable {
    private static final long serialVersionUID = 1L
    private final String user

    UserInterruption(String userId) { user = userId }

    JenkinsUser getUser() { new JenkinsUser(user) }

    String getUserId() { user }

    String getShortDescription() { "Aborted by ${user}" }
}

/** A newer build passed the milestone. */
class CanceledCause implements Serializable {
    private static final long serialVersionUID = 1L

    String getShortDescription() { 'Superseded by #7' }
}

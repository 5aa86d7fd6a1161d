package io.swarmcanary.vars

/*
 * Stand-ins for what Jenkins throws when a build stops at an input, with the simple names Jenkins' own types have
 * (org.jenkinsci.plugins.workflow.steps.FlowInterruptedException and its causes of interruption), which is what the
 * steps go by: Jenkins' classes are not on Maven Central.
 */

class FlowInterruptedException extends RuntimeException {
    final List causes

    FlowInterruptedException(Object... causes) {
        super((String) null)
        this.causes = causes as List
    }
}

/** hudson.model.User as far as the steps use it. */
class JenkinsUser {
    final String id

    JenkinsUser(String id) { this.id = id }

    String toString() { "User ${id}" }
}

/** Someone pressed Abort on the input (or, in older Jenkins, the timeout did it as user SYSTEM). */
class Rejection {
    final JenkinsUser user

    Rejection(String userId) { user = userId == null ? null : new JenkinsUser(userId) }

    String getShortDescription() { "Rejected by ${user?.id}" }
}

/** The timeout step stopped the body. */
class ExceededTimeout {
    String getShortDescription() { 'Timeout has been exceeded' }
}

/** Someone aborted the whole build. */
class UserInterruption {
    final JenkinsUser user

    UserInterruption(String userId) { user = new JenkinsUser(userId) }

    String getUserId() { user.id }

    String getShortDescription() { "Aborted by ${user.id}" }
}

/** A newer build passed the milestone. */
class CanceledCause {
    String getShortDescription() { 'Superseded by #7' }
}

package io.swarmcanary.vars

/** What the mocked `error` step throws (Jenkins throws an AbortException). */
class StepFailure extends RuntimeException {
    StepFailure(String message) {
        super(message)
    }
}

package io.swarmcanary.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OutputMessageTest {

    @Test
    void theErrorPrintedNamesWhatAlsoFailedOnTheWayBack() {
        IllegalStateException failure = new IllegalStateException("the control plane of edge e refuses revision abc");
        failure.addSuppressed(new IllegalStateException("could not put back the previous state of track files-prod"));

        assertThat(Output.message(failure)).isEqualTo("the control plane of edge e refuses revision abc"
                + "\nalso: could not put back the previous state of track files-prod");
    }

    @Test
    void anErrorWithNothingSuppressedIsItsMessageAlone() {
        assertThat(Output.message(new IllegalStateException("edge e is missing"))).isEqualTo("edge e is missing");
        assertThat(Output.message(new IllegalStateException())).isEqualTo("IllegalStateException");
    }
}

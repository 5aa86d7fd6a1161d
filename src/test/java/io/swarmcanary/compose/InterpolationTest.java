package io.swarmcanary.compose;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class InterpolationTest {
    private final Interpolation vars = new Interpolation(Map.of("TAG", "1.0.10", "EMPTY", "", "SECRET", "hunter2"));

    @Test
    void substitutesLikeTheDockerCli() {
        assertThat(vars.apply("registry/files:${TAG}")).isEqualTo("registry/files:1.0.10");
        assertThat(vars.apply("registry/files:$TAG")).isEqualTo("registry/files:1.0.10");
        assertThat(vars.apply("${MISSING:-2}")).isEqualTo("2");
        assertThat(vars.apply("${EMPTY:-2}")).isEqualTo("2");
        assertThat(vars.apply("${EMPTY-2}")).isEmpty();
        assertThat(vars.apply("${MISSING-2}")).isEqualTo("2");
        assertThat(vars.apply("${TAG:+set}")).isEqualTo("set");
        assertThat(vars.apply("${MISSING:+set}")).isEmpty();
        assertThat(vars.apply("${MISSING:-${TAG}}")).isEqualTo("1.0.10");
        assertThat(vars.apply("cost $$5 and $${TAG}")).isEqualTo("cost $5 and ${TAG}");
        assertThat(vars.apply("no variables")).isEqualTo("no variables");
    }

    @Test
    void requiredVariablesFailWithTheirMessageAndNeverTheValue() {
        assertThatThrownBy(() -> vars.apply("${MISSING:?set MISSING to the database URL}"))
                .hasMessage("variable MISSING is required: set MISSING to the database URL");
        assertThatThrownBy(() -> vars.apply("${EMPTY:?}")).hasMessageContaining("EMPTY is required: it is not set or empty");
        assertThat(vars.apply("${EMPTY?oops}")).isEmpty();
        assertThatThrownBy(() -> vars.apply("${NOPE}")).hasMessageContaining("variable NOPE is not set and has no default");
        assertThatThrownBy(() -> vars.apply("$NOPE")).hasMessageContaining("NOPE");
    }

    @Test
    void badSyntaxIsAnError() {
        assertThatThrownBy(() -> vars.apply("${TAG")).hasMessageContaining("without a closing '}'");
        assertThatThrownBy(() -> vars.apply("${}")).hasMessageContaining("no variable name");
        assertThatThrownBy(() -> vars.apply("${TAG:x}")).hasMessageContaining("invalid interpolation format");
        assertThatThrownBy(() -> vars.apply("50$ off")).hasMessageContaining("write $$ for a literal $");
    }
}

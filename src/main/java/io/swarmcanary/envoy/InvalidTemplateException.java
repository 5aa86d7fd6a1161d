package io.swarmcanary.envoy;

/** The user's bootstrap template cannot take the generated routes; the message says where to add what. */
public class InvalidTemplateException extends io.swarmcanary.UserInputException {
    public InvalidTemplateException(String message) {
        super(message);
    }
}

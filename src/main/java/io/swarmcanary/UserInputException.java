package io.swarmcanary;

/** Bad input: nothing was changed. The CLI maps it to exit code 2. */
public class UserInputException extends RuntimeException {
    public UserInputException(String message) {
        super(message);
    }
}

package io.unum.cli.client;

import io.unum.api.model.Problem;

/** The control plane answered with an error status; {@link #problem()} is its body (or one made up from the status). */
public class UnumApiException extends RuntimeException {
    private final transient Problem problem;

    public UnumApiException(Problem problem) {
        super(problem.detail() == null || problem.detail().isBlank()
                ? problem.title()
                : problem.title() + ": " + problem.detail());
        this.problem = problem;
    }

    public Problem problem() {
        return problem;
    }

    public int status() {
        return problem.status();
    }
}

package io.unum.client;

import io.unum.api.model.Problem;

/**
 * The control plane answered with an error status; {@link #problem()} is its
 * {@code application/problem+json} body (or one made up from the status), and {@link #kind()} the
 * class of error callers branch on.
 */
public class UnumApiException extends RuntimeException {
    /** The error statuses callers tell apart; everything else is {@link #OTHER}. */
    public enum Kind {
        /** 400: the request itself is wrong (bad JSON, unknown signal, invalid value). */
        BAD_REQUEST,
        /** 401 or 403: no token, a wrong one, or one whose role may not do this. */
        NOT_ALLOWED,
        /** 404: no such process, node, migration or checkpoint. */
        NOT_FOUND,
        /** 409: the resource is in a state that forbids this (e.g. the process already ended). */
        CONFLICT,
        /** 503: the cluster cannot do it now (no node fits, no leader, etcd away). */
        UNAVAILABLE,
        OTHER;

        static Kind of(int status) {
            return switch (status) {
                case 400 -> BAD_REQUEST;
                case 401, 403 -> NOT_ALLOWED;
                case 404 -> NOT_FOUND;
                case 409 -> CONFLICT;
                case 503 -> UNAVAILABLE;
                default -> OTHER;
            };
        }
    }

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

    public Kind kind() {
        return Kind.of(problem.status());
    }
}

package io.unum.api.model;

/** A capability change that Kerrighed's rules forbid; the message says which rule. */
public class CapabilityRuleException extends RuntimeException {
    public CapabilityRuleException(String message) {
        super(message);
    }
}

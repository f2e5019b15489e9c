package io.unum.agent.registration;

/** What the agent tells the control plane about itself at registration. */
public record NodeIdentity(String name, String address, int cores, long memoryBytes) {
}

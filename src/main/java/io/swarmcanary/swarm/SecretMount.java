package io.swarmcanary.swarm;

/** A secret mounted into a container at a stable target under /run/secrets. */
public record SecretMount(String secretId, String secretName, String target) {}

package io.unum.client;

import java.util.List;
import java.util.Optional;

/** One page of a list and, when more remain, the token that asks for the next one. */
public record Page<T>(List<T> items, Optional<String> next) {
}

package io.unum.api.model;

import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A directory and its entries, sorted by name. */
public record FsListing(@Schema(required = true) FsEntryInfo directory, @Schema(required = true) List<FsEntryInfo> entries) {
}

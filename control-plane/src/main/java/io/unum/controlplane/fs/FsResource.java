package io.unum.controlplane.fs;

import io.unum.api.fs.FsPath;
import io.unum.api.model.FsDirectoryRequest;
import io.unum.api.model.FsEntryInfo;
import io.unum.api.model.FsListing;
import io.unum.api.model.FsReplicasRequest;
import io.unum.api.model.FsUsage;
import io.unum.controlplane.auth.Role;
import io.unum.controlplane.error.UnumException;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The cluster file system over REST. The URL's tail is the tree path without its leading slash
 * ("" is the root). Uploads (PUT /api/v1/fs/files/...) are served by {@link FsUploadRoute}, which
 * streams the body instead of reading it whole.
 */
@Path("/api/v1/fs")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "file system", description = "The cluster file system: one tree on every node, metadata in etcd, data in replicated blocks")
public class FsResource {
    private final FsOperations operations;
    private final FsTransfer transfer;

    public FsResource(FsOperations operations, FsTransfer transfer) {
        this.operations = operations;
        this.transfer = transfer;
    }

    @GET
    @Path("stat/{path: .*}")
    @RolesAllowed(Role.VIEWER_NAME)
    @Operation(summary = "An entry's attributes; for a file, its chunks with where each replica is and its health")
    public FsEntryInfo stat(@PathParam("path") String path) {
        return operations.stat(FsOperations.urlPath(path));
    }

    @GET
    @Path("list/{path: .*}")
    @RolesAllowed(Role.VIEWER_NAME)
    @Operation(summary = "A directory and its entries, sorted by name")
    public FsListing list(@PathParam("path") String path) {
        return operations.list(FsOperations.urlPath(path));
    }

    @GET
    @Path("files/{path: .*}")
    @Produces(MediaType.APPLICATION_OCTET_STREAM)
    @RolesAllowed(Role.VIEWER_NAME)
    @Operation(summary = "A file's bytes, streamed from a node agent (checksums verified on the way)")
    public Response read(@PathParam("path") String path) {
        FsPath p = FsOperations.urlPath(path);
        FsEntryInfo e = operations.stat(p);
        if (e.type() != io.unum.api.model.FsEntryType.FILE) {
            throw UnumException.invalidState(p + " is not a file");
        }
        StreamingOutput body = out -> transfer.read(p, out);
        return Response.ok(body, MediaType.APPLICATION_OCTET_STREAM).header("Content-Length", e.sizeBytes()).build();
    }

    @PUT
    @Path("directories/{path: .*}")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(Role.ADMIN_NAME)
    @Operation(summary = "Make a directory: 201 when made, 200 when it was one already, 409 when a file is there")
    public Response makeDirectory(@PathParam("path") String path, FsDirectoryRequest request) {
        FsPath p = FsOperations.urlPath(path);
        int mode = mode(request == null ? null : request.mode(), 0755);
        FsOperations.Made made = operations.makeDirectory(p, mode, request != null && request.parents(),
                request == null || request.replicas() == null ? 0 : request.replicas());
        FsEntryInfo info = operations.info(made);
        return made.created() ? Response.status(201).entity(info).location(java.net.URI.create("/api/v1/fs/stat" + p)).build()
                : Response.ok(info).build();
    }

    @DELETE
    @Path("entries/{path: .*}")
    @RolesAllowed(Role.ADMIN_NAME)
    @Operation(summary = "Remove a file, symlink or directory (409 for a directory that is not empty unless recursive)")
    public Response remove(@PathParam("path") String path, @QueryParam("recursive") @DefaultValue("false") boolean recursive) {
        operations.remove(FsOperations.urlPath(path), recursive);
        return Response.noContent().build();
    }

    @PUT
    @Path("replicas/{path: .*}")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(Role.ADMIN_NAME)
    @Operation(summary = "Set the replica goal of a file or directory (recursive: everything below it too); the repair brings chunks to it")
    public FsEntryInfo setReplicas(@PathParam("path") String path, FsReplicasRequest request) {
        if (request == null) {
            throw UnumException.invalidRequest("send {\"replicas\": 1 to 9}");
        }
        return operations.info(operations.setReplicas(FsOperations.urlPath(path), request.replicas(), request.recursive()).entry());
    }

    @GET
    @Path("usage")
    @RolesAllowed(Role.VIEWER_NAME)
    @Operation(summary = "Each node's storage and the repair's state (unum fs df)")
    public FsUsage usage() {
        return operations.usage();
    }

    /** An octal mode as users write it ("0644", "755"); fallback when absent. */
    static int mode(String text, int fallback) {
        if (text == null || text.isBlank()) {
            return fallback;
        }
        try {
            int mode = Integer.parseInt(text.strip(), 8);
            if (mode >= 0 && mode <= 07777) {
                return mode;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw UnumException.invalidRequest("mode '" + text + "' is not an octal permission mode such as 0644");
    }
}

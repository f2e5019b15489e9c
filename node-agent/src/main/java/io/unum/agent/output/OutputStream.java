package io.unum.agent.output;

/** The two captured streams; the name is the file prefix unum-shim uses. */
public enum OutputStream {
    STDOUT("stdout"), STDERR("stderr");

    private final String fileName;

    OutputStream(String fileName) {
        this.fileName = fileName;
    }

    public String fileName() {
        return fileName;
    }
}

package io.unum.controlplane.scheduler;

import io.unum.controlplane.error.UnumException;
import java.util.Map;
import java.util.regex.Pattern;

/** Node labels and the constraints matched against them: {@code key=value}, Kubernetes-like syntax. */
final class Labels {
    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._/-]{0,61}[A-Za-z0-9])?");
    private static final Pattern VALUE = Pattern.compile("([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?");

    private Labels() {
    }

    static void check(String key, String value, String what) {
        if (key == null || !KEY.matcher(key).matches()) {
            throw UnumException.invalidRequest(what + " key '" + key + "' must be 1-63 letters, digits, '.', '_', '/', '-',"
                    + " starting and ending with a letter or digit");
        }
        if (value == null || !VALUE.matcher(value).matches()) {
            throw UnumException.invalidRequest(what + " " + key + "='" + value + "': the value must be at most 63 letters,"
                    + " digits, '.', '_', '-', starting and ending with a letter or digit");
        }
    }

    static void checkAll(Map<String, String> constraints) {
        if (constraints != null) {
            constraints.forEach((k, v) -> check(k, v, "constraint"));
        }
    }

    static boolean matches(Map<String, String> labels, Map<String, String> constraints) {
        return constraints == null || constraints.entrySet().stream()
                .allMatch(c -> c.getValue().equals(labels.get(c.getKey())));
    }
}

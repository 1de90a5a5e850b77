package dev.veil.linux;

/**
 * The user and group a daemon drops to, looked up in the system's databases (getpwnam/getgrnam, through NSS).
 * An immutable value.
 */
public record Account(String user, int uid, String group, int gid) {
    /**
     * Looks up {@code user} (a name or a numeric uid) and {@code group} (a name or a numeric gid; null for the
     * user's primary group). Throws IllegalArgumentException with a one-line message for an unknown user or group
     * and for root, which would drop nothing.
     */
    public static Account lookup(String user, String group) {
        Creds.Entry u = Creds.user(user);
        if (u == null) throw new IllegalArgumentException("--user " + user + ": no such user");
        if (u.id() == 0) throw new IllegalArgumentException("--user " + user + ": that is root; name an unprivileged user");
        Creds.Entry g;
        if (group == null) {
            g = Creds.group(String.valueOf(u.primaryGroup()));
            if (g == null) g = new Creds.Entry(String.valueOf(u.primaryGroup()), u.primaryGroup(), -1);
        } else {
            g = Creds.group(group);
            if (g == null) throw new IllegalArgumentException("--group " + group + ": no such group");
        }
        if (g.id() == 0) throw new IllegalArgumentException("--group " + g.name() + ": that is root's group; name another");
        return new Account(u.name(), u.id(), g.name(), g.id());
    }

    @Override
    public String toString() {
        return user + " (" + uid + "), group " + group + " (" + gid + ")";
    }
}

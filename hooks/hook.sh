#!/bin/sh
# The @HOOK@ hook of codequery-gitcfg: it checks and migrates .code-query/config.json.
# Written by `codequery-gitcfg install`; `codequery-gitcfg uninstall` removes it and puts
# back the hook that was here before (kept as @HOOK@@CHAINED@, and still run after ours).
# CODEQUERY_GITCFG_SKIP=1 skips it.
# codequery-gitcfg-managed: hook=@HOOK@ version=@VERSION@

hook=@HOOK@
python=@PYTHON@
config=.code-query/config.json

# Run once per git hook call. Another hook manager may have moved this script aside and
# call it from its own hook, which may be the very hook this script chains to below.
# The guard names this hook and this repository: a chained hook that commits in another
# repository (or runs another hook) must not switch that check off.
if [ -n "${CODEQUERY_GITCFG_IN_HOOK-}" ] &&
    [ "$CODEQUERY_GITCFG_IN_HOOK" = "$hook $(git rev-parse --absolute-git-dir 2>/dev/null)" ]; then
    exit 0
fi

ours() {
    case ${CODEQUERY_GITCFG_SKIP-} in
        1 | [Tt][Rr][Uu][Ee] | [Yy][Ee][Ss] | [Oo][Nn]) return 0 ;;
    esac
    # One git call answers "the config is not concerned" before paying for Python.
    # git runs hooks at the top of the worktree, where the relative path holds.
    staged=
    case $hook in
        pre-commit | pre-merge-commit)
            # Its answer also goes to Python, which then need not ask again. If git
            # fails here, Python asks itself and reports what is wrong. A symlinked
            # config is judged where its links lead: Python follows them in the index.
            if [ -L .code-query ] || [ -L "$config" ]; then
                staged=
            elif staged=$(git diff --cached --raw --no-abbrev --no-renames -- "$config" 2>/dev/null); then
                [ -n "$staged" ] || return 0
            else
                staged=
            fi ;;
        post-merge)
            # Against the working tree, not HEAD: a squash merge leaves HEAD alone.
            # Without ORIG_HEAD (a first pull) git fails and Python decides.
            git diff --quiet ORIG_HEAD -- "$config" 2>/dev/null && return 0 ;;
        post-rewrite)
            [ "$1" = rebase ] || return 0
            git diff --quiet ORIG_HEAD -- "$config" 2>/dev/null && return 0 ;;
        post-commit | post-applypatch)
            # Did this commit change the config? A first commit has no parent: Python decides.
            git diff --quiet HEAD^ HEAD -- "$config" 2>/dev/null && return 0 ;;
        post-checkout)
            [ "$3" = 1 ] || return 0
            git diff --quiet "$1" "$2" -- "$config" 2>/dev/null && return 0 ;;
    esac
    if [ ! -x "$python" ]; then
        echo "codequery-gitcfg: cannot run the $hook hook: the Python it was installed with is gone: $python" >&2
        echo "codequery-gitcfg: run \`codequery-gitcfg install\` again from the environment that has codequery-gitcfg" >&2
        if [ "$hook" = pre-commit ] || [ "$hook" = pre-merge-commit ]; then
            echo "codequery-gitcfg: commit stopped: $config is staged and cannot be checked (CODEQUERY_GITCFG_SKIP=1 skips the check)" >&2
            return 1
        fi
        return 0
    fi
    # Nothing from this repository may be imported: not `python -m` (the current folder
    # first on sys.path), and -E so that PYTHONPATH (":/x" also means the current folder)
    # and the other PYTHON* variables are ignored; -E keeps the user's site-packages,
    # where `pip install --user` puts us. What is left of "" on sys.path is removed.
    # Our hook never reads stdin: it stays whole for the hook chained below.
    CODEQUERY_GITCFG_STAGED=$staged "$python" -E -c '
import os, sys
sys.path[:] = [p for p in sys.path if os.path.isabs(p)]
try:
    from codequery_gitcfg.cli.hook import main
except ImportError as exc:
    sys.exit(f"codequery-gitcfg: cannot run the hook with {sys.executable}: {exc}; run `codequery-gitcfg install` again from the environment that has codequery-gitcfg")
sys.exit(main())
' "$hook" "$@" </dev/null
}

if [ "$hook" = pre-commit ] || [ "$hook" = pre-merge-commit ]; then
    ours "$@" || exit
else
    ours "$@"  # never stops git: it only warns
fi

case $0 in
    */*) here=${0%/*} ;;
    *) here=. ;;
esac
if [ -x "$here/$hook@CHAINED@" ]; then
    CODEQUERY_GITCFG_IN_HOOK="$hook $(git rev-parse --absolute-git-dir 2>/dev/null)"
    export CODEQUERY_GITCFG_IN_HOOK
    exec "$here/$hook@CHAINED@" "$@"
fi

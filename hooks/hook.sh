#!/bin/sh
# The @HOOK@ hook of codequery-gitcfg: it checks and migrates .code-query/config.json.
# Written by `codequery-gitcfg install`; `codequery-gitcfg uninstall` removes it and puts
# back the hook that was here before (kept as @HOOK@@CHAINED@, and still run after ours).
# CODEQUERY_GITCFG_SKIP=1 skips it.
# codequery-gitcfg-managed: hook=@HOOK@ version=@VERSION@

hook=@HOOK@
python=@PYTHON@
config=.code-query/config.json
gd=
nl='
'

# The git directory, from the file system where it says so (no git process): hooks run
# at the top of the worktree, where git leaves GIT_DIR (a linked worktree), a .git
# folder, or a .git file naming it ("gitdir: ...", a submodule). Any other layout asks
# git once. Sets $gd (relative to here, or absolute); fails when there is none.
git_dir() {
    if [ -n "$gd" ]; then
        return 0
    elif [ -n "${GIT_DIR-}" ]; then
        gd=$GIT_DIR
    elif [ -d .git ]; then
        gd=.git
    elif [ -f .git ] && IFS= read -r gd <.git && [ "${gd#gitdir: }" != "$gd" ]; then
        gd=${gd#gitdir: }
    else
        gd=$(git rev-parse --git-dir 2>/dev/null) || gd=
    fi
    [ -n "$gd" ]
}

# This repository as `git rev-parse --absolute-git-dir` names it (symlinks resolved, as
# git resolves them), for the guard below: cd -P there and back, builtins only. Sets
# $repo_id, empty when there is no git directory (both sides of the guard agree then too).
this_repo() {
    repo_id=
    git_dir || return 0
    case $gd in
        /*) repo_id=$gd ;;
        *) repo_id=./$gd ;;  # not a bare name, which cd would look up in CDPATH
    esac
    top=$PWD
    if cd -P -- "$repo_id" 2>/dev/null; then
        repo_id=$PWD
        cd -- "$top" || exit
    else
        repo_id=
    fi
}

# Is blob $1 one that store/memo.py's valid-blobs records as valid, under the rules the
# hooks' Python would apply now? Python would then pass it without a word, so it is
# not started. Why a yes here is never stale:
# - an entry counts only under the memo's first line, the rules key (our version, the
#   core's files, the jsonschema in use: memo.rules_key), as Python counts it;
# - this shell cannot compute that key: `install` had this hook's Python write it into
#   hook-rules (the common git dir's codequery-gitcfg/ folder), with that Python's path
#   and every file and folder the key is computed from (memo.rules_inputs: the core's
#   files and folder, jsonschema's, each sys.path folder, which installing, upgrading or
#   removing any package there changes), and compute it again after writing it;
# - so the key there is Python's key while no input changed since: while hook-rules is
#   strictly newer than each of them (test -nt; an edit in the same clock tick fails it
#   too). An editable checkout edited, a pip install or upgrade: Python decides, as
#   without this, until `codequery-gitcfg install` writes hook-rules again;
# - both files must be regular files of ours in real folders, as Python reads them.
# The one change this does not see is a file put back with an older time (cp -p, tar
# over the installed package); pip and git write new times.
known_valid() {
    git_dir || return 1
    common=$gd
    if [ -f "$gd/commondir" ] && IFS= read -r common <"$gd/commondir"; then
        case $common in
            /*) ;;
            *) common=$gd/$common ;;
        esac
    else
        common=$gd
    fi
    rules_file=$common/codequery-gitcfg/hook-rules
    blobs=$gd/codequery-gitcfg/valid-blobs
    for f in "$gd/codequery-gitcfg" "$common/codequery-gitcfg"; do
        [ -d "$f" ] && [ ! -L "$f" ] || return 1
    done
    for f in "$blobs" "$rules_file"; do
        [ -f "$f" ] && [ ! -L "$f" ] && [ -O "$f" ] || return 1
    done
    {
        IFS= read -r line && [ "$line" = "python $python" ] && IFS= read -r rules || return 1
        while IFS= read -r line && [ "$line" != end ]; do
            [ "$rules_file" -nt "$line" ] || return 1
        done
        [ "$line" = end ] || return 1  # cut short: believe none of it
    } <"$rules_file"
    {
        IFS= read -r line && [ "$line" = "$rules" ] || return 1
        while IFS= read -r line; do  # whole lines only, as Python reads them
            [ "$line" = "$1" ] && return 0
        done
    } <"$blobs"
    return 1
}

# Did git's sequencer (a `cherry-pick A..B` or `revert A..B`) make HEAD itself, from a
# commit that leaves the config as it is? Then HEAD's config is its parent's, and there is
# nothing to name, without a git call for this commit. Why that holds:
# - sequencer/todo lists the picks left; while git runs post-commit for a pick it made, the
#   first line is that pick ("pick ABBREV subject", "revert ABBREV subject");
# - git made this commit itself when MERGE_MSG is still there: a `git commit` typed during a
#   stopped range (which may carry anything, --no-verify included) removes MERGE_MSG before
#   running post-commit, and so does the `git commit` of `cherry-pick --continue`;
# - a pick of X is a merge (base X^, ours HEAD, theirs X), a revert the same with X and X^
#   swapped: when X and its first parent hold the same blob at the config's path, and X is
#   not a merge, the result holds HEAD's (were the parent without it, a rename on our side
#   could carry X's change of another file into the config: then the commit is checked).
# One `git cat-file --batch-check` for the whole list, the first time, answers that: each
# such pick gets an empty file of its name in sequencer/codequery-gitcfg-unchanged/ (one
# test per commit then; git removes sequencer/ with it when the range is done).
unchanged_by_pick() {
    git_dir || return 1
    todo=$gd/sequencer/todo
    [ -f "$gd/MERGE_MSG" ] && [ -f "$todo" ] && IFS=' ' read -r action item _ <"$todo" || return 1
    case $action in
        pick | revert) ;;
        *) return 1 ;;
    esac
    case $item in
        "" | *[!0-9a-f]*) return 1 ;;
    esac
    same=$gd/sequencer/codequery-gitcfg-unchanged
    if [ ! -d "$same" ]; then
        # X:config, X^:config and X^2 (a merge) for each pick, in order: three answers each.
        answers=$(while IFS=' ' read -r _ pick _; do
            printf '%s:%s\n%s^:%s\n%s^2\n' "$pick" "$config" "$pick" "$config" "$pick"
        done <"$todo" | git cat-file --batch-check 2>/dev/null) || return 1
        picks=
        while IFS=' ' read -r _ pick _; do
            picks="$picks $pick"
        done <"$todo"
        mkdir "$same.$$" 2>/dev/null || return 1
        set -f
        for pick in $picks; do
            { IFS= read -r own && IFS= read -r parent && IFS= read -r merge; } || break
            case $pick in "" | *[!0-9a-f]*) continue ;; esac
            case $own in *" blob "*) ;; *) continue ;; esac
            [ "$own" = "$parent" ] || continue
            case $merge in *" missing") : >"$same.$$/$pick" ;; esac
        done <<CODEQUERY_GITCFG_ANSWERS
$answers
CODEQUERY_GITCFG_ANSWERS
        set +f
        mv "$same.$$" "$same" 2>/dev/null || return 1  # whole, or not at all
    fi
    [ -f "$same/$item" ]
}

# Run once per git hook call. Another hook manager may have moved this script aside and
# call it from its own hook, which may be the very hook this script chains to below.
# The guard names this hook and this repository: a chained hook that commits in another
# repository (or runs another hook) must not switch that check off.
if [ -n "${CODEQUERY_GITCFG_IN_HOOK-}" ]; then
    this_repo
    [ "$CODEQUERY_GITCFG_IN_HOOK" = "$hook $repo_id" ] && exit 0
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
            # Python starts when the rebase (a pull) changed the working-tree config, which
            # may need migrating, or when a rewritten commit changes the config: the whole
            # rebase is then judged at once. git's OLD NEW lines were read once, below.
            if git diff --quiet ORIG_HEAD -- "$config" 2>/dev/null; then
                changed=$(printf '%s\n' "$hook_input" | sed 's/^[^ ]* //' |
                    git rev-list --stdin --no-walk=unsorted --full-history -- "$config" .code-query 2>/dev/null) || changed=x
                [ -n "$changed" ] || return 0
            fi ;;
        pre-push)
            # The commits this push adds ($1 is the remote): does one change the config?
            # One git call; a deletion adds nothing. git's lines were read once, below.
            revs=
            while read -r _ sha _ remote_sha; do
                case $sha in *[!0]*) ;; *) continue ;; esac
                revs="$revs $sha"
                case $remote_sha in *[!0]*) revs="$revs ^$remote_sha" ;; esac
            done <<CODEQUERY_GITCFG_INPUT
${hook_input-}
CODEQUERY_GITCFG_INPUT
            [ -n "$revs" ] || return 0
            # shellcheck disable=SC2086 # object ids, split on purpose
            changed=$(git rev-list -n 1 --full-history --ignore-missing $revs --not --remotes="$1" \
                -- "$config" .code-query 2>/dev/null) || changed=x
            [ -n "$changed" ] || return 0 ;;
        pre-receive)
            # The commits new to this repository (read through git's quarantine): does one
            # change the config? One git call; a deletion adds nothing.
            revs=
            while read -r _ new _; do
                case $new in *[!0]*) revs="$revs $new" ;; esac
            done <<CODEQUERY_GITCFG_INPUT
${hook_input-}
CODEQUERY_GITCFG_INPUT
            [ -n "$revs" ] || return 0
            # shellcheck disable=SC2086 # object ids, split on purpose
            changed=$(git rev-list -n 1 --full-history $revs --not --all -- "$config" .code-query 2>/dev/null) ||
                changed=x
            [ -n "$changed" ] || return 0 ;;
        post-commit | post-applypatch)
            # A rebase runs this once per replayed commit, and post-rewrite once at its end,
            # which judges the rebased commits at once: here, a test of git's rebase state
            # and nothing else, no git, no Python. (rebase-apply/ holding "applying" is
            # `git am`, whose commits are named one by one, below.)
            if git_dir && { [ -d "$gd/rebase-merge" ] ||
                { [ -d "$gd/rebase-apply" ] && [ ! -e "$gd/rebase-apply/applying" ]; }; }; then
                return 0
            fi
            # A symlinked config is judged where its links lead, which only Python follows
            # (in HEAD's tree): the answers below would be about the link's text.
            if [ -L .code-query ] || [ -L "$config" ]; then
                :
            # Each commit git's sequencer makes itself (of a cherry-pick or revert range)
            # costs no git call when its original leaves the config alone (unchanged_by_pick).
            elif [ "$hook" = post-commit ] && unchanged_by_pick; then
                return 0
            else
                # Did this commit change the config, and to which blob? One git call; a first
                # commit has no parent: git fails and Python decides. A blob the memo knows as
                # valid passes without Python: what the merge driver made of each commit of a
                # cherry-pick or revert range, what pre-commit passed (see known_valid).
                change=$(git diff-tree -r --no-renames HEAD^ HEAD -- "$config" 2>/dev/null) || change=unknown
                [ -n "$change" ] || return 0
                case $change in
                    *"$nl"*) ;;  # more than the config itself: Python decides
                    :*" D	$config") return 0 ;;  # deleted: nothing to name
                    :*"	$config")
                        blob=${change#:* * * }
                        known_valid "${blob%% *}" && return 0 ;;
                esac
            fi ;;
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
        if [ "$hook" = pre-push ] || [ "$hook" = pre-receive ]; then
            echo "codequery-gitcfg: push refused: the pushed commits change $config and cannot be checked" >&2
            return 1
        fi
        return 0
    fi
    # Nothing from this repository may be imported: not `python -m` (the current folder
    # first on sys.path), and -E so that PYTHONPATH (":/x" also means the current folder)
    # and the other PYTHON* variables are ignored; -E keeps the user's site-packages,
    # where `pip install --user` puts us. What is left of "" on sys.path is removed.
    # pre-push, pre-receive and post-rewrite get git's lines (read once, below) on
    # standard input; other hooks read none: the script's stays whole for the chained hook.
    CODEQUERY_GITCFG_STAGED=$staged "$python" -E -S -c '
import sys, _signal
# Ctrl-C while Python starts ends the hook at once (git says 130), never in a traceback:
# SIGINT keeps its default action until the hook starts its work, which handles it; -S
# keeps the site start-up (the .pth files of the environment) for below, under it too.
_signal.signal(_signal.SIGINT, _signal.SIG_DFL)
import os, site
# "" (the current folder) goes first: site.main() would make it absolute, and keep it.
sys.path[:] = [p for p in sys.path if os.path.isabs(p)]
site.main()
sys.path[:] = [p for p in sys.path if os.path.isabs(p)]
try:
    from codequery_gitcfg.cli import quit_on_interrupt
    from codequery_gitcfg.cli.hook import main
except ImportError as exc:
    sys.exit(f"codequery-gitcfg: cannot run the hook with {sys.executable}: {exc}; run `codequery-gitcfg install` again from the environment that has codequery-gitcfg")
quit_on_interrupt()  # until the hook starts its work
sys.exit(main())
' "$hook" "$@" <<CODEQUERY_GITCFG_INPUT
${hook_input-}
CODEQUERY_GITCFG_INPUT
}

# git's lines on standard input (pushed refs, rewritten commits): read once, for our
# check and for the hook chained below.
case $hook in
    pre-push | pre-receive | post-rewrite) hook_input=$(cat) ;;
esac

if [ "$hook" = pre-commit ] || [ "$hook" = pre-merge-commit ] || [ "$hook" = pre-push ] ||
    [ "$hook" = pre-receive ]; then
    ours "$@" || exit
else
    ours "$@"  # never stops git: it only warns
fi

case $0 in
    */*) here=${0%/*} ;;
    *) here=. ;;
esac
# Code Query's Huey hook, when `install --huey-post-commit` put it here (it runs after ours),
# does nothing without a queue file and a hook of its own behind it: then it is not started
# (a process less for each commit of a rebase or of a cherry-pick range). Only the script of
# this very version says so (its managed marker, its third line: the shell's `read` takes a
# file a byte at a time): hooks/huey-post-commit.sh makes that rule.
huey_idle() {
    [ "$hook" = post-commit ] && [ ! -e .code-query/file_queue.json ] && [ ! -L .code-query/file_queue.json ] &&
        [ ! -e "$here/post-commit.codequery-gitcfg-huey.orig" ] &&
        [ ! -L "$here/post-commit.codequery-gitcfg-huey.orig" ] || return 1
    { IFS= read -r line && IFS= read -r line && IFS= read -r line; } <"$here/$hook@CHAINED@" &&
        [ "$line" = "# codequery-gitcfg-managed: hook=huey-post-commit version=@VERSION@" ]
}

if [ -x "$here/$hook@CHAINED@" ]; then
    huey_idle 2>/dev/null && exit 0
    this_repo
    CODEQUERY_GITCFG_IN_HOOK="$hook $repo_id"
    export CODEQUERY_GITCFG_IN_HOOK
    if [ -n "${hook_input-}" ]; then
        printf '%s\n' "$hook_input" | "$here/$hook@CHAINED@" "$@"
        exit
    fi
    exec "$here/$hook@CHAINED@" "$@"
fi

"""The first administrator of an installation without demo users (compose, Kubernetes):

    python -m deploy.create_admin <username> <display name>      (asks for the password)

Made through the gateway's event store like every other user; an existing name is refused.
"""

from __future__ import annotations

import argparse
import getpass
import re

from gateway.accounts import Accounts
from gateway.auth import Passwords
from gateway.schemas import USERNAME
from services.kernel.config import Settings
from services.kernel.errors import Refused
from services.kernel.store import store_env

OPERATOR = {"user": "system:operator", "role": "system", "unit": None}


def main() -> None:
    parser = argparse.ArgumentParser(description="Create an administrator (role admin).")
    parser.add_argument("username")
    parser.add_argument("display_name")
    args = parser.parse_args()
    if not re.fullmatch(USERNAME, args.username):
        parser.error("用户名只能含小写字母、数字、点、下划线或连字符")
    password = getpass.getpass("密码（至少 8 个字符）：")
    if len(password) < 8:
        parser.error("密码至少 8 个字符")
    settings = Settings.from_env()
    accounts = Accounts(store_env(settings.database_url, "gateway", 1, cache_size=0))
    try:
        accounts.create_user(
            args.username,
            args.display_name,
            "admin",
            None,
            Passwords(1).hash(password),
            OPERATOR,
            "安装时由运维人员创建的系统管理员",
            set(),
        )
    except Refused as e:
        parser.exit(1, f"{e.message_zh}\n")
    finally:
        accounts.close()
    print(f"created administrator {args.username}")


if __name__ == "__main__":
    main()

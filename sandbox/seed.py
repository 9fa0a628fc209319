"""Deterministic demo data: the same rows every time, dates relative to today.

Seeding is idempotent: accounts that already exist (by username) are left as they are,
so ``serve --seed`` on an existing state file keeps whatever a demo changed. Use
``POST /_sandbox/reset`` to return to exactly this data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sandbox.clock import Clock
from sandbox.store import Store

# Fixed ids keep every reseed identical, whatever the insertion order.
MANAGER_ID = 1
AGENT_ID = 100
DEMO_ID = 1001
SHOP_A_ID = 1002
SHOP_B_ID = 1003
OTHER_ID = 1004


def demo_accounts(today: dt.date) -> list[dict[str, Any]]:
    def day(offset: int) -> str:
        return (today + dt.timedelta(days=offset)).isoformat()

    return [
        {
            "id": MANAGER_ID,
            "username": "manager",
            "password": "manager-pass",
            "user_type": "manager",
            "company": "U-Mail 群发平台运营部",
            "contact": "王芳",
            "phone": "400-8181-568",
            "mobile": "13800000001",
            "email": "manager@example.com",
            "im": "",
            "address": "广州市天河区体育西路 1 号",
            "service_status": "enabled",
            "service_type": "all",
            "send_type": "local",
            "beginning_date": day(-1000),
            "expiration_date": day(3650),
            "qty_available": 0,
            "qty_buytotal": 0,
        },
        {
            "id": AGENT_ID,
            "username": "agent",
            "password": "agent-pass",
            "user_type": "agents",
            "company": "上海示例代理有限公司",
            "contact": "李娜",
            "phone": "021-55550100",
            "mobile": "13900000002",
            "email": "agent@example.com",
            "im": "QQ:10002",
            "address": "上海市浦东新区世纪大道 100 号 8 楼",
            "service_status": "enabled",
            "service_type": "all",
            "send_type": "local",
            "beginning_date": day(-500),
            "expiration_date": day(365),
            "qty_available": 500000,
            "qty_buytotal": 1000000,
        },
        {
            "id": DEMO_ID,
            "username": "demo",
            "password": "demo-pass",
            "user_type": "",
            "company": "深圳示例科技有限公司",
            "contact": "张伟",
            "phone": "0755-26000000",
            "mobile": "13600000003",
            "email": "zhangwei@example.com",
            "im": "QQ:123456",
            "address": "深圳市南山区科技园中区科苑路 15 号",
            "service_status": "enabled",
            "service_type": "all",
            "send_type": "local",
            "beginning_date": day(-365),
            "expiration_date": day(200),
            "qty_available": 63250,
            "qty_buytotal": 100000,
        },
        {
            "id": SHOP_A_ID,
            "username": "shop-a",
            "password": "shop-a-pass",
            "user_type": "",
            "parent_id": AGENT_ID,
            "company": "杭州甲店电子商务有限公司",
            "contact": "陈静",
            "phone": "0571-88000001",
            "mobile": "13700000004",
            "email": "shop-a@example.com",
            "im": "",
            "address": "杭州市西湖区文三路 90 号",
            "service_status": "enabled",
            "service_type": "all",
            "send_type": "local",
            "beginning_date": day(-90),
            "expiration_date": day(275),
            "qty_available": 20000,
            "qty_buytotal": 20000,
        },
        {
            "id": SHOP_B_ID,
            "username": "shop-b",
            "password": "shop-b-pass",
            "user_type": "",
            "parent_id": AGENT_ID,
            "company": "成都乙店商贸有限公司",
            "contact": "刘洋",
            "phone": "028-86000002",
            "mobile": "13500000005",
            "email": "shop-b@example.com",
            "im": "",
            "address": "成都市锦江区红星路三段 1 号",
            "service_status": "enabled",
            "service_type": "day",
            "send_type": "remote",
            "beginning_date": day(-30),
            "expiration_date": day(335),
            "qty_available": 5000,
            "qty_buytotal": 5000,
        },
        {
            "id": OTHER_ID,
            "username": "other",
            "password": "other-pass",
            "user_type": "",
            "company": "北京另一家贸易有限公司",
            "contact": "赵磊",
            "phone": "010-62000000",
            "mobile": "13300000006",
            "email": "zhaolei@example.com",
            "im": "",
            "address": "北京市海淀区中关村大街 27 号",
            "service_status": "enabled",
            "service_type": "all",
            "send_type": "local",
            "beginning_date": day(-345),
            "expiration_date": day(20),
            "qty_available": 1200,
            "qty_buytotal": 10000,
        },
    ]


Seeder = Callable[[Store, Clock], None]
_SEEDERS: list[Seeder] = []


def register_seeder(func: Seeder) -> Seeder:
    """Decorator: an API section's demo data, run after the accounts on every seed.

    Like the accounts, a section's seeder must be idempotent (insert only what is missing) and
    deterministic. Declare it in the section's ``sandbox/ops`` module.
    """
    if func not in _SEEDERS:
        _SEEDERS.append(func)
    return func


def seed(store: Store, clock: Clock | None = None) -> None:
    """Insert the demo data that is missing; never overwrite existing rows."""
    clock = clock or Clock()
    today = clock.today()
    with store.transaction():
        # Parents first: sub-accounts reference their agent.
        for account in demo_accounts(today):
            store.insert_account(account, if_missing=True)
    for seeder in _SEEDERS:
        seeder(store, clock)

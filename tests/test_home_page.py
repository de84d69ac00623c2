"""The first page: both plans as encoded, for checking against the documents."""

from __future__ import annotations


def test_it_asks_anonymous_visitors_to_log_in(client, plans):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_it_shows_both_plans_tasks_units_and_targets(leader_client, plans):
    html = leader_client.get("/").content.decode()
    assert "泉州市国家知识产权强市建设示范城市工作方案(2024-2026年)" in html
    assert "镇江经济技术开发区江苏省知识产权建设示范(园区)工作方案(2024—2026)" in html
    assert "中国人民银行泉州市分行" in html and "市知识产权工作领导小组各成员单位" in html
    assert "≥78.51万件" in html and "推算" in html  # a derived milestone, marked
    assert "&gt;6件" in html  # 突破6件, escaped
    assert "1—2场" in html and "保持增长" in html
    assert "文件未列明，待办公室指定" in html
    assert "至2026年末,力争每万人口高价值发明专利拥有量突破6件" in html  # the source sentence


def test_it_uses_a_fixed_number_of_queries(leader_client, plans, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        assert leader_client.get("/").status_code == 200


def test_the_login_page_speaks_chinese(client, db):
    html = client.get("/login/").content.decode()
    assert "用户名" in html and "密码" in html and "登录" in html
    response = client.post("/login/", {"username": "nobody", "password": "wrong"})
    assert "请输入一个正确的" in response.content.decode()
